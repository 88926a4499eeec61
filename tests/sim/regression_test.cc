// Regression corpus entries (sim/testing/regression.h): the parser accepts
// the format corpus/sim/README.md documents and names what is wrong with a
// bad entry, and the check fails when an entry no longer holds: a seed that
// does not reproduce the planted bug, or an outcome that is not the
// expected one.
#include "sim/testing/regression.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace drpc::sim {
namespace {

using testing::CheckRegression;
using testing::ParseRegressionEntry;
using testing::RegressionEntry;

// The Serve-after-Stop entry of corpus/sim, with `seed` for its seed.
std::string ServeAfterStop(const std::string& seed) {
  return "# rpc: a Serve after Stop kept its listener open\n"
         "drpc-sim regression v1\n"
         "scenario rpc.fixed\n"
         "strategy pct depth 2 steps 4322\n"
         "seed " +
         seed +
         "\n"
         "expect ok\n"
         "guards no lost calls: a Serve after Stop closes its listener\n"
         "plant rpc.serve-after-stop-keeps-listener\n"
         "plant-outcome liveness_failed\n"
         "plant-report the liveness phase did not finish\n";
}

// An entry found under faults: rpc.fixed with rt::Signal::wait waiting once
// fails only with spurious wake-ups on (rt.signal-waits-once.buggy).
std::string SignalWaitsOnce(const std::string& faults_line) {
  return "# rt: a Signal wait that did not loop on its predicate\n"
         "drpc-sim regression v1\n"
         "scenario rpc.fixed\n"
         "strategy random\n" +
         faults_line +
         "seed 1\n"
         "expect ok\n"
         "guards a wait loops on its predicate (spurious wake-ups)\n"
         "plant rt.signal-waits-once\n"
         "plant-outcome invariant_failed\n"
         "plant-report received no call's data\n";
}

RegressionEntry Parsed(const std::string& text) {
  std::string error;
  std::optional<RegressionEntry> entry = ParseRegressionEntry(text, error);
  EXPECT_TRUE(entry.has_value()) << error;
  return entry.value_or(RegressionEntry{});
}

std::string ParseError(const std::string& text) {
  std::string error;
  EXPECT_FALSE(ParseRegressionEntry(text, error).has_value()) << text;
  return error;
}

TEST(RegressionEntry, ParsesEveryField) {
  const RegressionEntry entry = Parsed(ServeAfterStop("391"));
  EXPECT_EQ(entry.caught, "rpc: a Serve after Stop kept its listener open\n");
  EXPECT_EQ(entry.scenario, "rpc.fixed");
  EXPECT_EQ(entry.strategy.ToString(), "pct depth 2 steps 4322");
  EXPECT_EQ(entry.seed, 391u);
  EXPECT_EQ(entry.expect, Outcome::kOk);
  EXPECT_EQ(entry.guards, "no lost calls: a Serve after Stop closes its listener");
  EXPECT_EQ(entry.plant, plant::Site::kRpcServeAfterStopKeepsListener);
  EXPECT_EQ(entry.plant_outcome, Outcome::kLivenessFailed);
  EXPECT_EQ(entry.plant_report, "the liveness phase did not finish");
}

TEST(RegressionEntry, PlantIsOptional) {
  const RegressionEntry entry = Parsed(
      "# caught something\ndrpc-sim regression v1\nscenario spawn_then_exit.fixed\n"
      "strategy random\nseed 0\nexpect ok\nguards frames outlive their spawner\n");
  EXPECT_EQ(entry.strategy.ToString(), "random");
  EXPECT_FALSE(entry.plant.has_value());
}

TEST(RegressionEntry, ParsesFaultsInTheCliSyntax) {
  const RegressionEntry entry =
      Parsed(SignalWaitsOnce("faults rt.spurious-wakeup:4,net.reset\nswarm on\n"));
  ASSERT_TRUE(entry.faults.has_value());
  EXPECT_EQ(entry.faults->ToString(), "rt.spurious-wakeup:4,net.reset:8");
  EXPECT_TRUE(entry.swarm);
  EXPECT_TRUE(Parsed(SignalWaitsOnce("faults none\n")).faults->empty());
  const RegressionEntry plain = Parsed(ServeAfterStop("391"));
  EXPECT_FALSE(plain.faults.has_value()) << "no line: the scenario's own faults";
  EXPECT_FALSE(plain.swarm);
}

TEST(RegressionEntry, NamesWhatIsWrongWithFaults) {
  EXPECT_NE(ParseError(SignalWaitsOnce("faults net.nope\n"))
                .find("line 5: 'faults' is drpc-sim's --faults list"),
            std::string::npos);
  EXPECT_NE(ParseError(SignalWaitsOnce("faults net.nope\n")).find("unknown fault 'net.nope'"),
            std::string::npos);
  EXPECT_NE(ParseError(SignalWaitsOnce("faults rt.spurious-wakeup:0\n")).find("needs a rate"),
            std::string::npos);
  EXPECT_NE(ParseError(SignalWaitsOnce("faults rt.spurious-wakeup:4, net.reset\n"))
                .find("one comma-separated list without spaces"),
            std::string::npos);
  EXPECT_NE(ParseError(SignalWaitsOnce("faults all\nfaults none\n")).find("a second 'faults'"),
            std::string::npos);
  EXPECT_NE(ParseError(SignalWaitsOnce("swarm yes\n")).find("'swarm' takes the value 'on'"),
            std::string::npos);
}

TEST(RegressionEntry, NamesWhatIsWrong) {
  const std::string good = ServeAfterStop("391");
  const auto without = [&](const std::string& line) {
    std::string text = good;
    text.erase(text.find(line), line.size());
    return text;
  };
  const auto replaced = [&](const std::string& line, const std::string& by) {
    std::string text = good;
    text.replace(text.find(line), line.size(), by);
    return text;
  };
  EXPECT_NE(
      ParseError(without("drpc-sim regression v1\n")).find("expected 'drpc-sim regression v1'"),
      std::string::npos);
  EXPECT_NE(ParseError(without("# rpc: a Serve after Stop kept its listener open\n")).find("'#'"),
            std::string::npos);
  EXPECT_NE(ParseError(without("seed 391\n")).find("missing 'seed'"), std::string::npos);
  EXPECT_NE(ParseError(without("guards no lost calls: a Serve after Stop closes its listener\n"))
                .find("guards"),
            std::string::npos);
  EXPECT_NE(
      ParseError(without("plant-report the liveness phase did not finish\n")).find("plant-report"),
      std::string::npos);
  EXPECT_NE(ParseError(without("plant rpc.serve-after-stop-keeps-listener\n")).find("'plant'"),
            std::string::npos);
  EXPECT_NE(ParseError(replaced("plant rpc.serve-after-stop-keeps-listener", "plant rpc.no-such"))
                .find("line 8: unknown plant site 'rpc.no-such'"),
            std::string::npos);
  EXPECT_NE(ParseError(replaced("expect ok", "expect fine")).find("unknown outcome 'fine'"),
            std::string::npos);
  EXPECT_NE(
      ParseError(replaced("plant-outcome liveness_failed", "plant-outcome ok")).find("must differ"),
      std::string::npos);
  EXPECT_NE(
      ParseError(replaced("pct depth 2 steps 4322", "pct depth 0 steps 4322")).find("strategy"),
      std::string::npos);
  EXPECT_NE(ParseError(replaced("seed 391", "seed -1")).find("whole number"), std::string::npos);
  EXPECT_NE(ParseError(good + "colour blue\n").find("unknown or malformed line 'colour blue'"),
            std::string::npos);
}

TEST(RegressionCheck, HoldsForTheCorpusSeed) {
  const testing::RegressionVerdict verdict = CheckRegression(Parsed(ServeAfterStop("391")));
  EXPECT_TRUE(verdict.holds) << verdict.message;
}

#if DRPC_CHECKED
// Seed 392 passes with the plant on: it is not a schedule where Stop runs
// before Serve, so an entry holding it no longer guards anything.
TEST(RegressionCheck, FailsWhenThePlantedBugNoLongerReproduces) {
  const testing::RegressionVerdict verdict = CheckRegression(Parsed(ServeAfterStop("392")));
  EXPECT_FALSE(verdict.holds);
  EXPECT_NE(verdict.message.find("no longer reproduces the interleaving"), std::string::npos)
      << verdict.message;
  EXPECT_NE(verdict.message.find("drpc-sim sweep --scenario rpc.fixed --strategy pct --pct-depth 2 "
                                 "--pct-steps 4322 --plant rpc.serve-after-stop-keeps-listener"),
            std::string::npos)
      << verdict.message;
}
#endif

// The entry's faults reach the run (and its replay line) in every build.
TEST(RegressionCheck, RunsWithTheEntrysFaults) {
  RegressionEntry entry = Parsed(SignalWaitsOnce("faults rt.spurious-wakeup:4\n"));
  entry.plant.reset();
  entry.expect = Outcome::kDeadlock;  // it passes: the check fails and prints its replay
  const testing::RegressionVerdict verdict = CheckRegression(entry);
  EXPECT_FALSE(verdict.holds);
  EXPECT_NE(verdict.message.find("(random --faults rt.spurious-wakeup:4)"), std::string::npos)
      << verdict.message;
  EXPECT_NE(verdict.message.find(
                "replay: drpc-sim run --scenario rpc.fixed --seed 1 --faults rt.spurious-wakeup:4"),
            std::string::npos)
      << verdict.message;
}

#if DRPC_CHECKED
// A regression found under faults replays exactly: with its faults the
// planted bug fails the seed as recorded; without them (the line dropped)
// the same seed never reaches the bug, and the check says so.
TEST(RegressionCheck, ARegressionFoundUnderFaultsReplaysWithThem) {
  const testing::RegressionVerdict with =
      CheckRegression(Parsed(SignalWaitsOnce("faults rt.spurious-wakeup:4\n")));
  EXPECT_TRUE(with.holds) << with.message;
  const testing::RegressionVerdict without = CheckRegression(Parsed(SignalWaitsOnce("")));
  EXPECT_FALSE(without.holds);
  EXPECT_NE(without.message.find("no longer reproduces the interleaving"), std::string::npos)
      << without.message;
}
#endif

TEST(RegressionCheck, FailsOnAnotherOutcome) {
  RegressionEntry entry = Parsed(ServeAfterStop("391"));
  entry.expect = Outcome::kInvariantFailed;  // the fixed code passes instead
  const testing::RegressionVerdict verdict = CheckRegression(entry);
  EXPECT_FALSE(verdict.holds);
  EXPECT_NE(verdict.message.find("FAILED: expected invariant_failed"), std::string::npos)
      << verdict.message;
  EXPECT_NE(verdict.message.find("replay: drpc-sim run --scenario rpc.fixed --seed 391"),
            std::string::npos)
      << verdict.message;
}

}  // namespace
}  // namespace drpc::sim
