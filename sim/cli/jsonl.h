// `drpc-sim sweep --jsonl FILE`: one JSON object per line, for tools (CI
// dashboards, scripts/sim) that collect failing seeds across sweeps.
//
//   {"record":"failure","scenario":"rpc.crossed-reply.buggy","seed":1,"strategy":"random",
//    "options":{"max_steps":"400000",...,"plants":"none"},"outcome":"invariant_failed",
//    "invariant":"rpc workload: call 2 (echo ...) received call 0's data: ...",
//    "replay":"drpc-sim run --scenario rpc.crossed-reply.buggy --seed 1","choice_log":"..."}
//   {"record":"summary","seeds":100,"from":0,"shard":{"index":1,"count":4},
//    "strategy":"random","runs":25,"failed":3,
//    "by_outcome":{"invariant_failed":3},"scenarios":[{"scenario":"...","runs":100,"failed":3}]}
//
// A failure record per failing seed (with PCT, "strategy":"pct" and
// "pct_depth", "pct_steps"), then one summary record when the sweep ends.
// "options" holds the run's whole configuration as drpc-sim writes it into
// choice logs (every knob as a string, and the plants switched on);
// "invariant" is the first line of the failure report.
#pragma once

#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cli/runner.h"
#include "sim/cli/shard.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::cli {

// `text` as a JSON string literal, quotes included: '"' and '\' escaped,
// control characters as \n, \t, ... or \u00XX, bytes that are not UTF-8 as
// U+FFFD.
std::string JsonString(std::string_view text);

class JsonlWriter {
 public:
  // Opens (truncates) `path`; false and `error` if it cannot be written.
  bool Open(const std::string& path, std::string& error);
  bool is_open() const { return file_.is_open(); }

  void Failure(const Scenario& scenario, const SeedRun& run, const RunSettings& settings,
               const std::string& saved_log);

  struct ScenarioTotals {
    std::string scenario;
    uint64_t runs = 0;
    uint64_t failed = 0;
  };
  // `shard` is written when the sweep ran one shard of several.
  void Summary(uint64_t from, uint64_t seeds, const Shard& shard, const RunSettings& settings,
               const std::vector<ScenarioTotals>& scenarios,
               const std::map<std::string, uint64_t>& by_outcome);

  // Flushes and closes; false and `error` if anything failed to be written.
  bool Close(std::string& error);

 private:
  void AppendStrategy(std::string& line, const RunSettings& settings, bool with_steps) const;

  std::string path_;
  std::ofstream file_;
};

}  // namespace drpc::sim::cli
