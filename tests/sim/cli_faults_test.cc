// drpc-sim's --faults and --swarm: the fault configuration is part of a
// run's configuration, so the failure report prints it (with swarm, the
// drawn one), the choice log records it as option lines and the replay line
// repeats it; bad input is a usage error.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "sim/cli/cli.h"
#include "sim/cli/runner.h"
#include "sim/testing/cli_checks.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using sim::testing::CliRun;
using sim::testing::Contains;
using sim::testing::LineAfter;
using sim::testing::Read;
using sim::testing::RunCli;
using sim::testing::RunReplayLine;
using sim::testing::TempDir;

// rpc.fixed with Signal::wait's loop planted away and swarm over spurious
// wake-ups: fails once a seed draws them on. (RunCli saves no logs.)
std::vector<std::string> SwarmRun(uint64_t seed) {
  return {"run",
          "--scenario",
          "rpc.fixed",
          "--seed",
          std::to_string(seed),
          "--plant",
          "rt.signal-waits-once",
          "--faults",
          "rt.spurious-wakeup",
          "--swarm"};
}

std::optional<uint64_t> FirstFailingSwarmSeed() {
  for (uint64_t seed = 0; seed < 200; ++seed) {
    if (RunCli(SwarmRun(seed)).exit_status == kExitFailureFound) return seed;
  }
  return std::nullopt;
}

TEST(CliFaults, BadFaultsAreUsageErrors) {
  const CliRun unknown =
      RunCli({"run", "--scenario", "rpc.fixed", "--seed", "1", "--faults", "rt.nope"});
  EXPECT_EQ(unknown.exit_status, kExitUsage) << unknown.printed;
  EXPECT_TRUE(Contains(unknown.printed, "--faults: unknown fault 'rt.nope'")) << unknown.printed;
  EXPECT_TRUE(Contains(unknown.printed, "rt.spurious-wakeup")) << "lists the kinds";
  for (const char* bad : {"rt.spurious-wakeup:0", "all:x", "rt.spurious-wakeup:", "all:2000000"}) {
    const CliRun run =
        RunCli({"sweep", "--scenario", "rpc.fixed", "--seeds", "1", "--faults", bad});
    EXPECT_EQ(run.exit_status, kExitUsage) << bad << ": " << run.printed;
    EXPECT_TRUE(Contains(run.printed, "needs a rate")) << run.printed;
  }
  EXPECT_EQ(RunCli({"run", "--scenario", "rpc.fixed", "--seed", "1", "--faults"}).exit_status,
            kExitUsage);
  // A log records its faults: replay and shrink take none.
  EXPECT_EQ(RunCli({"replay", "x.choices", "--swarm"}).exit_status, kExitUsage);
  EXPECT_EQ(RunCli({"shrink", "x.choices", "--faults", "all"}).exit_status, kExitUsage);
  EXPECT_EQ(RunCli({"list", "--swarm"}).exit_status, kExitUsage);
}

// The world's kinds are names of the one configuration (fault_config.cc).
TEST(CliFaults, TheWorldsKindsAreAcceptedAndListed) {
  const CliRun run = RunCli({"sweep", "--scenario", "rpc.world.fixed", "--seeds", "3", "--faults",
                             "net.reset:4,net.half-open,net.crash:2"});
  EXPECT_EQ(run.exit_status, kExitOk) << run.printed;
  const CliRun unknown =
      RunCli({"run", "--scenario", "rpc.world.fixed", "--seed", "1", "--faults", "net.nope"});
  EXPECT_EQ(unknown.exit_status, kExitUsage) << unknown.printed;
  for (const char* kind : {"net.reset", "net.half-open", "net.partition", "net.crash",
                           "net.refused", "net.slow-reader", "net.accept-error"}) {
    EXPECT_TRUE(Contains(unknown.printed, kind)) << kind << " is not listed: " << unknown.printed;
  }
}

TEST(CliFaults, TheReportPrintsTheDrawAndTheReplayLineRepeatsIt) {
  const std::optional<uint64_t> seed = FirstFailingSwarmSeed();
  ASSERT_TRUE(seed.has_value()) << "no swarm seed in 0..199 drew spurious wake-ups";
  const CliRun failed = RunCli(SwarmRun(*seed));
  EXPECT_TRUE(Contains(failed.printed, "faults=rt.spurious-wakeup:8 swarm=1")) << failed.printed;
  const std::string drawn = LineAfter(failed.printed, "swarm drew faults: ");
  EXPECT_TRUE(drawn.rfind("rt.spurious-wakeup:", 0) == 0) << failed.printed;
  const std::string replay = LineAfter(failed.printed, "replay: ");
  EXPECT_EQ(replay, "drpc-sim run --scenario rpc.fixed --seed " + std::to_string(*seed) +
                        " --plant rt.signal-waits-once --faults rt.spurious-wakeup:8 --swarm");
  const std::string hash = LineAfter(failed.printed, "trace hash ").substr(0, 18);
  const CliRun again = RunReplayLine(replay);
  EXPECT_EQ(again.exit_status, kExitFailureFound) << again.printed;
  EXPECT_TRUE(Contains(again.printed, "trace hash " + hash)) << again.printed;
  EXPECT_EQ(LineAfter(again.printed, "swarm drew faults: "), drawn);
}

TEST(CliFaults, TheChoiceLogRecordsTheFaultsAndReplaysWithThem) {
  const std::string dir = TempDir("faults_log");
  const std::string log = dir + "/swarm.choices";
  ASSERT_EQ(RunCli({"run", "--scenario", "rpc.fixed", "--seed", "5", "--faults", "all:4", "--swarm",
                    "--save-log", log})
                .exit_status,
            kExitOk);
  const std::string text = Read(log);
  EXPECT_TRUE(Contains(text, "\noption faults rt.spurious-wakeup:4,")) << text;
  EXPECT_TRUE(Contains(text, "\noption swarm 1\n")) << text;
  const CliRun replayed = RunCli({"replay", log, "--expect-recorded"});
  EXPECT_EQ(replayed.exit_status, kExitOk) << replayed.printed;
  EXPECT_TRUE(Contains(replayed.printed, "reproduces the logged result")) << replayed.printed;
}

TEST(CliFaults, OptionPairsRoundTripTheFaults) {
  RunOptions options;
  std::string error;
  options.faults = FaultConfig::Parse("manager.short-write:3", error).value();
  options.swarm = true;
  RunOptions read;
  for (const auto& [key, value] : OptionPairs(options)) {
    ASSERT_TRUE(ApplyOption(read, key, value, error)) << error;
  }
  EXPECT_EQ(read.faults, options.faults);
  EXPECT_TRUE(read.swarm);
  // A run without faults writes no fault lines (old logs look the same).
  for (const auto& [key, value] : OptionPairs(RunOptions{})) {
    EXPECT_NE(key, "faults");
    EXPECT_NE(key, "swarm");
  }
  EXPECT_FALSE(ApplyOption(read, "swarm", "2", error));
  EXPECT_FALSE(ApplyOption(read, "faults", "rt.nope", error));
}

}  // namespace
}  // namespace drpc::sim::cli
