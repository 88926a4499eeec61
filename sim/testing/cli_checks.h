// drpc-sim's command line run in-process (cli::SimMain: the command line's
// own code, not a copy of it), and the check planted-bug tests make with it:
// the printed replay reproduces the failure.
//
//   EXPECT_TRUE(Reproduces(RunCli({"run", "--scenario", name, "--seed", "7"}),
//                          cli::kExitFailureFound, failure));
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "sim/sched/run.h"

namespace drpc::sim::testing {

struct CliRun {
  int exit_status = 0;
  std::string printed;  // stdout, then stderr
};

// Runs `drpc-sim <args...>` with no environment, adding --no-save-log so
// the test's working directory stays clean.
CliRun RunCli(std::vector<std::string> args);

// Runs `drpc-sim <args...>` with stdout and stderr apart, for tests of what
// goes where: `env` is its whole environment and `err_is_terminal` says
// whether stderr is a terminal. Unlike RunCli it saves choice logs as the
// command line does (into --log-dir, else the working directory).
struct CliOutput {
  int rc = 0;
  std::string out;
  std::string err;
};
CliOutput RunCliStreams(std::vector<std::string> args,
                        const std::map<std::string, std::string>& env = {},
                        bool err_is_terminal = false);

// Runs a replay line as drpc-sim prints it ("drpc-sim run --scenario X
// --seed S"): words separated by spaces, the first one the program.
CliRun RunReplayLine(const std::string& line);

// `run` ended with `exit_status` and printed `failure`'s outcome and trace
// hash (as Hex() spells it).
::testing::AssertionResult Reproduces(const CliRun& run, int exit_status, const RunResult& failure);

}  // namespace drpc::sim::testing
