// Checking simulator runs in tests: what a failure message shows, the trace
// hash as drpc-sim prints it, whether a rerun is the same run, and the
// choice log a failing test leaves behind for `drpc-sim replay`.
//
//   EXPECT_TRUE(SameRun(RunSeeded(seed), failure));
//   std::cout << "replay: drpc-sim replay " << SaveChoiceLog("ring.fixed", failure);
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "sim/sched/run.h"

namespace drpc::sim::testing {

// Outcome, report and trace tail: what a failed expectation on a run shows.
std::string Describe(const RunResult& result);

// "0x" and 16 lowercase hex digits: how drpc-sim prints a trace hash.
// Spelled here, not taken from sim/cli, so a test that looks for it in
// drpc-sim's output also checks the command line's format.
std::string Hex(uint64_t value);

// `again` is the same run as `first`: outcome, trace hash, steps and report.
::testing::AssertionResult SameRun(const RunResult& again, const RunResult& first);

// Writes `result`'s choices as a drpc-sim choice log of `scenario`, with its
// outcome, steps and trace hash (which `drpc-sim replay --expect-recorded`
// compares), to <scenario><suffix> in the working directory. Returns the path.
std::string SaveChoiceLog(const std::string& scenario, const RunResult& result,
                          const std::string& suffix = ".choices");

// How many seeds a sweep runs: the environment variable `name` when it is
// set (a longer soak), else `fallback`.
uint64_t SeedCount(const char* name, uint64_t fallback);

}  // namespace drpc::sim::testing
