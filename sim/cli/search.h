// drpc-sim explore and drpc-sim shrink: the bounded exhaustive search and
// the choice-log shrinker (sim/sched/explore.h, sim/sched/shrink.h) on a
// registered scenario, with the reports people act on. cli.cc parses the
// flags and calls these.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "sim/cli/runner.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/explore.h"
#include "sim/sched/shrink.h"

namespace drpc::sim::cli {

// Explores `scenario`; on a failure saves its choice log (unless
// settings.save_logs is off) and prints the report with `drpc-sim replay`
// and `drpc-sim shrink` lines. Progress goes to `err`. Returns the exit
// status: kExitFailureFound on a failure, else kExitOk.
int ExploreScenario(const Scenario& scenario, const RunSettings& settings,
                    const ExploreOptions& options, std::ostream& out, std::ostream& err,
                    bool err_is_terminal);

struct ShrinkRequest {
  std::string log_path;    // the failing log, as given
  std::string out_path;    // where the shrunk log goes (empty: not written)
  std::string trace_path;  // the shrunk run's full trace (empty: none)
  ShrinkOptions options;
};

// Shrinks `log` (already parsed; settings carry its options), writes the
// shrunk log and prints before/after sizes, the replay line and the shrunk
// run's report and trace tail. kExitOk when shrunk, kExitFailureFound when
// the log does not fail, kExitUsage when a file cannot be written.
int ShrinkLog(const Scenario& scenario, const RunSettings& settings, const ChoiceLogFile& log,
              const ShrinkRequest& request, std::ostream& out, std::ostream& err);

// Where `drpc-sim shrink FILE` writes by default: FILE with ".choices"
// replaced by ".shrunk.choices" (or ".shrunk.choices" appended).
std::string DefaultShrunkPath(const std::string& log_path);

}  // namespace drpc::sim::cli
