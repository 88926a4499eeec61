// `drpc-sim merge FILE...`: one report from the JSONL files of a sharded
// sweep (`drpc-sim sweep --shard I/N --jsonl FILE`, one file per shard), as
// the sweep would have printed it run whole: per scenario its runs and
// failures, every failing seed with its invariant and replay line, sorted by
// scenario and seed so the report does not depend on shard order.
//
// It refuses to merge what is not one whole sweep: a file whose sweep did
// not finish (no summary line), a shard missing or given twice, shards of
// different sweeps (seeds, --from or strategy differ), a file whose failure
// lines do not add up to its summary (cut short).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drpc/base/result.h"

namespace drpc::sim::cli {

struct SweepReportFile {
  std::string name;  // for error messages
  std::string text;  // the whole JSONL file
};

struct MergedSweep {
  uint64_t shards = 0;
  uint64_t from = 0;
  uint64_t seeds = 0;
  std::string strategy;
  struct Failure {
    std::string scenario;
    uint64_t seed = 0;
    std::string outcome;
    std::string invariant;
    std::string replay;
  };
  struct ScenarioTotals {
    std::string scenario;
    uint64_t runs = 0;
    uint64_t failed = 0;
  };
  std::vector<ScenarioTotals> scenarios;  // in the order of shard 0's summary
  std::vector<Failure> failures;          // sorted by scenario, seed, replay line
  uint64_t runs() const;
};

// kInvalidArgument naming the file and what is wrong with it.
Result<MergedSweep> MergeSweepReports(const std::vector<SweepReportFile>& files);

// The report: a first line about the merge ("merged N shard(s) ..."), then
// lines that depend only on what the sweep found (a sweep merged from one
// file and from N shards give the same lines after the first).
std::string FormatMergedSweep(const MergedSweep& merged);

}  // namespace drpc::sim::cli
