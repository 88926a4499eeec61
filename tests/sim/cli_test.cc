// drpc-sim's command line: exit codes, usage errors, saved logs and replay.
#include "sim/cli/cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sim/testing/cli_checks.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using sim::testing::CliOutput;
using sim::testing::Contains;
using sim::testing::Read;
using sim::testing::RunCliStreams;
using sim::testing::TempDir;

TEST(Cli, BadArgumentsAreUsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {},
      {"frobnicate"},
      {"run"},
      {"run", "--scenario", "lock_order.fixed"},
      {"run", "--scenario", "no.such", "--seed", "1"},
      {"run", "--scenario", "lock_order.fixed", "--seed", "-1"},
      {"run", "--scenario", "lock_order.fixed", "--seed", "1", "--seed", "2"},
      {"run", "--scenario", "lock_order.fixed", "--seed", "1", "--bogus"},
      {"run", "--scenario", "lock_order.fixed", "--seed", "1", "--max-steps", "0"},
      {"run", "--scenario", "lock_order.fixed", "--seed", "1", "--stack-bytes", "12"},
      {"run", "--scenario", "lock_order.fixed", "--seed"},
      {"run", "--scenario", "lock_order.fixed", "--seed", "1", "extra"},
      {"sweep", "--seeds", "10"},
      {"sweep", "--all-fixed", "--scenario", "lock_order.fixed", "--seeds", "10"},
      {"sweep", "--all-fixed", "--seeds", "0"},
      {"sweep", "--all-fixed", "--seeds", "99999999999999999999999"},
      {"replay"},
      {"replay", "/nonexistent/file.choices"},
      {"hunt", "--scenario", "lock_order.fixed"},
      {"list", "--max-steps", "5"},
  };
  for (const auto& args : bad) {
    CliOutput o = RunCliStreams(args);
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    EXPECT_EQ(o.rc, kExitUsage) << joined << "\n" << o.out << o.err;
    EXPECT_TRUE(Contains(o.err, "drpc-sim: ")) << joined << "\n" << o.err;
  }
}

TEST(Cli, BadEnvironmentIsAUsageError) {
  CliOutput o = RunCliStreams({"run", "--scenario", "lock_order.fixed", "--seed", "1"},
                              {{"DRPC_SIM_MAX_STEPS", "lots"}});
  EXPECT_EQ(o.rc, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "DRPC_SIM_MAX_STEPS")) << o.err;
}

TEST(Cli, HelpAndListSucceed) {
  CliOutput help = RunCliStreams({"help"});
  EXPECT_EQ(help.rc, kExitOk);
  EXPECT_TRUE(Contains(help.out, "usage: drpc-sim"));
  CliOutput list = RunCliStreams({"list"});
  EXPECT_EQ(list.rc, kExitOk);
  EXPECT_TRUE(Contains(list.out, "lost_wakeup.buggy"));
  EXPECT_TRUE(Contains(list.out, "planted-bug (deadlock within 100 seeds)"));
  EXPECT_TRUE(Contains(list.out, "pipeline.fixed"));
}

TEST(Cli, APassingRunExitsZero) {
  CliOutput o = RunCliStreams({"run", "--scenario", "pipeline.fixed", "--seed", "7"});
  EXPECT_EQ(o.rc, kExitOk) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "ok pipeline.fixed seed 7: trace hash 0x")) << o.out;
}

TEST(Cli, AFailingRunReportsSavesItsLogAndTheLogReplays) {
  const std::string dir = TempDir("failing_run");
  // Seed 4 overdraws (found by sweeping; the sweep test below finds it too).
  CliOutput o =
      RunCliStreams({"run", "--scenario", "check_then_act.buggy", "--seed", "4", "--log-dir", dir});
  ASSERT_EQ(o.rc, kExitFailureFound) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "FAIL check_then_act.buggy seed 4: invariant_failed")) << o.out;
  EXPECT_TRUE(Contains(o.out, "invariant violated: account overdrawn")) << o.out;
  EXPECT_TRUE(Contains(o.out, "replay: drpc-sim run --scenario check_then_act.buggy --seed 4\n"))
      << o.out;
  EXPECT_TRUE(Contains(o.out, "trace tail (last 40 events):")) << o.out;
  EXPECT_TRUE(Contains(o.out, "RUN FAILS here")) << o.out;

  const std::string log = dir + "/check_then_act.buggy.seed-4.choices";
  const std::string text = Read(log);
  EXPECT_TRUE(Contains(text, "drpc-sim choices v1\nscenario check_then_act.buggy\nseed 4\n"))
      << text;
  EXPECT_TRUE(Contains(text, "result invariant_failed")) << text;

  CliOutput replay = RunCliStreams({"replay", log, "--expect-recorded"});
  EXPECT_EQ(replay.rc, kExitOk) << replay.out << replay.err;
  EXPECT_TRUE(Contains(replay.out, "reproduces the logged result")) << replay.out;
  CliOutput plain = RunCliStreams({"replay", log});
  EXPECT_EQ(plain.rc, kExitFailureFound) << "the replayed run fails, as recorded";
}

TEST(Cli, AReplayThatDoesNotReproduceIsReported) {
  const std::string dir = TempDir("tampered");
  ASSERT_EQ(
      RunCliStreams({"run", "--scenario", "check_then_act.buggy", "--seed", "4", "--log-dir", dir})
          .rc,
      kExitFailureFound);
  const std::string log = dir + "/check_then_act.buggy.seed-4.choices";
  std::string text = Read(log);
  // Flip the first recorded choice (s2:0 -> s2:1): a different schedule.
  const size_t at = text.find("s2:0");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, 4, "s2:1");
  std::ofstream(log, std::ios::binary | std::ios::trunc) << text;
  CliOutput o = RunCliStreams({"replay", log, "--expect-recorded"});
  EXPECT_EQ(o.rc, kExitFailureFound) << o.out;
  EXPECT_TRUE(Contains(o.out, "DIFFERS FROM the logged result")) << o.out;

  // A log whose questions do not match the run's is nondeterminism.
  text.replace(text.find("s2:1"), 4, "n9:1");
  std::ofstream(log, std::ios::binary | std::ios::trunc) << text;
  CliOutput diverged = RunCliStreams({"replay", log});
  EXPECT_EQ(diverged.rc, kExitFailureFound);
  EXPECT_TRUE(Contains(diverged.out, "nondeterminism")) << diverged.out;
  EXPECT_TRUE(Contains(diverged.out, "replay diverged at choice #1")) << diverged.out;
}

TEST(Cli, AMalformedLogIsAUsageError) {
  const std::string dir = TempDir("malformed");
  const std::string log = dir + "/bad.choices";
  std::ofstream(log) << "drpc-sim choices v1\nscenario lock_order.fixed\nchoices 3\ns2:1\n";
  CliOutput o = RunCliStreams({"replay", log});
  EXPECT_EQ(o.rc, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "truncated")) << o.err;
  std::ofstream(log, std::ios::trunc) << "drpc-sim choices v1\nscenario nope\nchoices 0\nend\n";
  EXPECT_EQ(RunCliStreams({"replay", log}).rc, kExitUsage);
}

TEST(Cli, SweepsReportFailuresWithExitOne) {
  const std::string dir = TempDir("sweep");
  CliOutput bad =
      RunCliStreams({"sweep", "--scenario", "lock_order.buggy", "--seeds", "50", "--log-dir", dir});
  EXPECT_EQ(bad.rc, kExitFailureFound);
  EXPECT_TRUE(Contains(bad.out, "lock_order.buggy: 50 seeds,")) << bad.out;
  EXPECT_TRUE(Contains(bad.out, "FAILED (deadlock:")) << bad.out;
  EXPECT_TRUE(Contains(bad.out, "failing seeds:")) << bad.out;
  EXPECT_TRUE(Contains(bad.err, "sweep lock_order.buggy: 50/50 seeds")) << bad.err;
  CliOutput good =
      RunCliStreams({"sweep", "--scenario", "pipeline.fixed", "--seeds", "200", "--from", "1000"});
  EXPECT_EQ(good.rc, kExitOk) << good.out;
  EXPECT_TRUE(Contains(good.out, "pipeline.fixed: 200 seeds, all passed")) << good.out;
}

TEST(Cli, CheckCatchesNondeterminismAndPassesDeterministicScenarios) {
  const std::string dir = TempDir("check");
  CliOutput bad = RunCliStreams(
      {"check", "--scenario", "nondeterminism.heap_address", "--seed", "3", "--log-dir", dir});
  EXPECT_EQ(bad.rc, kExitFailureFound) << bad.out;
  EXPECT_TRUE(Contains(bad.out, "NONDETERMINISM")) << bad.out;
  EXPECT_TRUE(Contains(bad.out, "First difference at event")) << bad.out;
  CliOutput good = RunCliStreams({"check", "--scenario", "shared_condvar.fixed", "--seed", "3"});
  EXPECT_EQ(good.rc, kExitOk) << good.out;
  EXPECT_TRUE(Contains(good.out, "deterministic: both runs have trace hash")) << good.out;
}

TEST(Cli, TraceFilesHoldTheFullTrace) {
  const std::string dir = TempDir("trace");
  const std::string trace = dir + "/run.trace";
  CliOutput o =
      RunCliStreams({"run", "--scenario", "lock_order.fixed", "--seed", "2", "--trace", trace});
  EXPECT_EQ(o.rc, kExitOk) << o.out << o.err;
  const std::string text = Read(trace);
  EXPECT_TRUE(Contains(text, "step  time")) << text;
  EXPECT_TRUE(Contains(text, "spawns #2 transfer")) << text;
  EXPECT_TRUE(Contains(text, "exits")) << text;
}

TEST(Cli, HuntMeasuresSeedsToFind) {
  CliOutput o = RunCliStreams({"hunt", "--scenario", "lost_wakeup.buggy", "--trials", "5"});
  EXPECT_EQ(o.rc, kExitOk) << o.out;
  EXPECT_TRUE(Contains(o.out, "median ")) << o.out;
  EXPECT_TRUE(Contains(o.out, "within the bound")) << o.out;
}

}  // namespace
}  // namespace drpc::sim::cli
