// Regression corpus entries (corpus/sim/*.regression, format in
// corpus/sim/README.md): a run that once exposed a bug, kept as what to run
// (scenario, strategy, seed) and what must hold, not as a golden trace, so
// it survives changes to the trace format and to schedules.
//
//   std::string error;
//   std::optional<RegressionEntry> entry = LoadRegressionEntry(path, error);
//   RegressionVerdict verdict = CheckRegression(*entry);
//   if (!verdict.holds) std::cerr << verdict.message;
//
// Where the bug can be planted back (drpc/base/plant.h), the check also runs
// the same seed with the plant on and requires the recorded failure: that
// shows the seed still drives the interleaving the bug needs. If a change
// moved the schedule away, the check fails and says how to find a new seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/plant.h"
#include "sim/cli/runner.h"
#include "sim/sched/fault_config.h"
#include "sim/sched/run.h"

namespace drpc::sim::testing {

// How a seed is run: the random scheduler, or PCT with a depth and an
// estimated run length. Spelled "random" or "pct depth D steps K".
struct SeedStrategy {
  cli::Strategy kind = cli::Strategy::kRandom;
  PctOptions pct;
  std::string ToString() const;
  // The drpc-sim flags that select it ("" for random).
  std::string Flags() const;
};
// Parses the words of a strategy spelling; false (and `error`) if malformed.
bool ParseStrategy(const std::vector<std::string>& words, SeedStrategy& out, std::string& error);

struct RegressionEntry {
  std::string path;      // where it was loaded from, for messages
  std::string caught;    // the '#' comment: what it caught
  std::string scenario;  // a registered scenario
  SeedStrategy strategy;
  // The fault configuration the seed ran with, as drpc-sim's --faults and
  // --swarm: nullopt keeps the scenario's own; `swarm` draws from it.
  std::optional<FaultConfig> faults;
  bool swarm = false;
  uint64_t seed = 0;
  Outcome expect = Outcome::kOk;  // the outcome without plants
  std::string guards;             // the invariant it guards, in words
  // The site that puts the bug back, and the failure it must then produce:
  // this outcome, with `plant_report` somewhere in the report.
  std::optional<plant::Site> plant;
  Outcome plant_outcome = Outcome::kOk;
  std::string plant_report;
};

// Parses an entry's text; nullopt (and `error`, with the line) if malformed.
std::optional<RegressionEntry> ParseRegressionEntry(std::string_view text, std::string& error);
std::optional<RegressionEntry> LoadRegressionEntry(const std::string& path, std::string& error);

struct RegressionVerdict {
  bool holds = false;
  std::string message;  // what was run and, if it does not hold, what to do
};

// Runs the entry without plants (it must end with `expect` and, when that is
// ok, with every checker quiet), then, if it has a plant and the build has
// plants (DRPC_CHECKED), with the plant on (it must fail as recorded).
RegressionVerdict CheckRegression(const RegressionEntry& entry);

}  // namespace drpc::sim::testing
