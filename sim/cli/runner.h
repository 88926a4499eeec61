// Running scenarios the way drpc-sim does: one seed, a replayed choice log,
// or a determinism self-check, with the failure report people act on (the
// replay line, the invariant, the trace tail) and the choice log saved.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/scenarios/scenario.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/determinism.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/run.h"

namespace drpc::sim::cli {

// What seed S means: the seeded random scheduler, or PCT seeded with S
// (sim/sched/pct_source.h).
enum class Strategy : uint8_t { kRandom, kPct };
std::string_view StrategyName(Strategy strategy);  // "random", "pct"

// One strategy of a sweep's mix (strategy_mix.h).
struct MixEntry {
  Strategy strategy = Strategy::kRandom;
  uint32_t pct_depth = 0;  // kPct: its depth; 0 = the sweep's --pct-depth
};

// How a scenario is run: its options (defaults, then environment, then
// flags) and where failure artifacts go.
struct RunSettings {
  RunOptions options;
  std::string log_dir = ".";  // failing runs save <scenario>.seed-<S>.choices here
  bool save_logs = true;
  std::string program = "drpc-sim";  // as invoked, for the replay line
  Strategy strategy = Strategy::kRandom;
  PctOptions pct;  // kPct: depth, and steps (the estimated run length)
  // sweep --strategy A,B,...: seed S runs under mix[S % size] (strategy_mix.h);
  // empty: `strategy` alone.
  std::vector<MixEntry> mix;
};

// An estimate of a scenario's run length for PCT: the most steps of a few
// seeded random runs (seeds 0, 1, 2), at least 1. Deterministic.
uint64_t LearnRunLength(const Scenario& scenario, const RunOptions& options);

struct SeedRun {
  uint64_t seed = 0;
  RunResult result;
  std::optional<DeterminismReport> determinism;  // when checked
  bool failed() const;
};

// Runs `scenario` with seed's decisions under settings.strategy. With `check_determinism`,
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

// The command line that reruns `seed` of `scenario` with these options
// (--plant names the plants beyond the scenario's own).
std::string ReplayLine(const Scenario& scenario, uint64_t seed, const RunSettings& settings);

// The choice log file of a run.
ChoiceLogFile MakeLog(const Scenario& scenario, uint64_t seed, const RunSettings& settings,
                      const RunResult& result);
// Writes it to settings.log_dir; returns the path, or an empty string (and
// an explanation in `error`) if it could not be written. The name is
// <scenario>[.pct-d<D>][.seed-<S>].choices.
std::string SaveLog(const ChoiceLogFile& log, const RunSettings& settings, std::string& error);
// Writes `log` to `path`; false (and `error`) if it could not be written.
bool WriteLog(const ChoiceLogFile& log, const std::string& path, std::string& error);
// `name` inside settings.log_dir.
std::string LogPath(const RunSettings& settings, const std::string& name);

// Options written into / read from choice logs and replay lines: the numeric
// knobs, "plants" (the run's whole plant set, plant::Set::ToString) when
// any are on, "faults" (FaultConfig::ToString) when any are on, and
// "swarm 1" when the run draws its faults.
std::vector<std::pair<std::string, std::string>> OptionPairs(const RunOptions& options);
// Applies "key value" pairs; false (and `error`) for an unknown key or bad value.
bool ApplyOption(RunOptions& options, const std::string& key, const std::string& value,
                 std::string& error);

// The failure report: what broke, the replay line, options, the saved log
// (and the command that shrinks it), the trace hash and the trace tail.
std::string FailureReport(const Scenario& scenario, const SeedRun& run, const RunSettings& settings,
                          const std::string& saved_log);

// A whole number in [min, max] written in decimal digits only.
bool ParseCount(const std::string& text, uint64_t min, uint64_t max, uint64_t& out);

std::string Hex(uint64_t value);

}  // namespace drpc::sim::cli
