// Running scenarios the way drpc-sim does: one seed, a replayed choice log,
// or a determinism self-check, with the failure report people act on (the
// replay line, the invariant, the trace tail) and the choice log saved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/scenarios/scenario.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/determinism.h"
#include "sim/sched/run.h"

namespace drpc::sim::cli {

// How a scenario is run: its options (defaults, then environment, then
// flags) and where failure artifacts go.
struct RunSettings {
  RunOptions options;
  std::string log_dir = ".";  // failing runs save <scenario>.seed-<S>.choices here
  bool save_logs = true;
  std::string program = "drpc-sim";  // as invoked, for the replay line
};

struct SeedRun {
  uint64_t seed = 0;
  RunResult result;
  std::optional<DeterminismReport> determinism;  // when checked
  bool failed() const;
};

// Runs `scenario` with seeds's random decisions. With `check_determinism`,
// runs it twice and compares (a difference counts as a failure).
SeedRun RunSeed(const Scenario& scenario, uint64_t seed, const RunSettings& settings,
                bool check_determinism);

// Replays a parsed choice log against its scenario.
struct ReplayRun {
  RunResult result;
  bool fully_consumed = true;  // false: the run made fewer choices than logged
};
ReplayRun RunReplay(const Scenario& scenario, const ChoiceLogFile& log,
                    const RunSettings& settings);

// The command line that reruns `seed` of `scenario` with these options.
std::string ReplayLine(const Scenario& scenario, uint64_t seed, const RunSettings& settings);

// The choice log file of a run.
ChoiceLogFile MakeLog(const Scenario& scenario, uint64_t seed, const RunSettings& settings,
                      const RunResult& result);
// Writes it to settings.log_dir; returns the path, or an empty string (and
// an explanation in `error`) if it could not be written.
std::string SaveLog(const ChoiceLogFile& log, const RunSettings& settings, std::string& error);

// Options written into / read from choice logs and replay lines.
std::vector<std::pair<std::string, std::string>> OptionPairs(const RunOptions& options);
// Applies "key value" pairs; false (and `error`) for an unknown key or bad value.
bool ApplyOption(RunOptions& options, const std::string& key, const std::string& value,
                 std::string& error);

// The failure report: what broke, the replay line, options, the saved log,
// the trace hash and the trace tail.
std::string FailureReport(const Scenario& scenario, const SeedRun& run, const RunSettings& settings,
                          const std::string& saved_log);

// A whole number in [min, max] written in decimal digits only.
bool ParseCount(const std::string& text, uint64_t min, uint64_t max, uint64_t& out);

std::string Hex(uint64_t value);

}  // namespace drpc::sim::cli
