// The gtest integration (sim/gtest/sim_test.h) on a planted failing body:
// a lost update that only some interleavings show. The sweep must name the
// first failing seed, its replay line must rerun exactly that seed, and the
// saved choice log must replay to the same failure.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "drpc/rt/task.h"
#include "sim/gtest/seed_plan.h"
#include "sim/gtest/sim_test.h"

namespace drpc::sim {
namespace {

using Reporter = ::testing::ScopedFakeTestPartResultReporter;

constexpr const char* kSettings[] = {"DRPC_SIM_SEEDS", "DRPC_SIM_SEED", "DRPC_SIM_STRATEGY",
                                     "DRPC_SIM_REPLAY", "DRPC_SIM_LOG_DIR"};

// Clears the DRPC_SIM_* settings for the test, and again after it.
class SimGtest : public ::testing::Test {
 protected:
  void SetUp() override { Clear(); }
  void TearDown() override { Clear(); }
  static void Clear() {
    for (const char* name : kSettings) unsetenv(name);
  }
};

int runs = 0;  // bodies started, across runs of one sweep

// The planted bug: two tasks bump a counter with a read, a yield and a write.
void LostUpdate() {
  ++runs;
  int counter = 0;
  auto bump = [&] {
    const int seen = counter;
    rt::yield();
    counter = seen + 1;
  };
  rt::Task a = rt::spawn("a", bump);
  rt::Task b = rt::spawn("b", bump);
  a.join();
  b.join();
  EXPECT_EQ(counter, 2) << "lost update";
}

// The same without the yield: never fails, but makes other choices.
void NoRace() {
  int counter = 0;
  rt::Task a = rt::spawn("a", [&] { ++counter; });
  rt::Task b = rt::spawn("b", [&] { ++counter; });
  a.join();
  b.join();
}

// ForEachSeed's failures, kept from failing this test.
std::vector<std::string> Sweep(SeedPlan plan, void (*body)()) {
  ::testing::TestPartResultArray failures;
  runs = 0;
  {
    Reporter intercept(Reporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    ForEachSeed(std::move(plan), body);
  }
  std::vector<std::string> messages;
  for (int i = 0; i < failures.size(); ++i) {
    messages.push_back(failures.GetTestPartResult(i).message());
  }
  return messages;
}

// The first seed of `strategy` on which the body fails, found without the
// integration.
std::optional<uint64_t> FirstFailingSeed(const SeedPlan& plan) {
  for (uint64_t seed = 0; seed < 100; ++seed) {
    ::testing::TestPartResultArray failures;
    RunResult result;
    {
      Reporter intercept(Reporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      result = RunSeed(plan, seed, {}, LostUpdate);
    }
    if (failures.size() > 0 || !result.ok()) return seed;
  }
  return std::nullopt;
}

// The text after `label` up to the end of its line, in the messages.
std::string Field(const std::vector<std::string>& messages, const std::string& label) {
  for (const std::string& m : messages) {
    const size_t at = m.find(label);
    if (at == std::string::npos) continue;
    const size_t start = at + label.size();
    return m.substr(start, m.find('\n', start) - start);
  }
  return "";
}

// Sets the environment variables of a replay line ("A=1 B=x /path ...").
void ExportAssignments(const std::string& line) {
  static const std::regex assignment(R"((DRPC_SIM_[A-Z_]+)=(\S+))");
  for (std::sregex_iterator it(line.begin(), line.end(), assignment), end; it != end; ++it) {
    setenv((*it)[1].str().c_str(), (*it)[2].str().c_str(), 1);
  }
}

std::string Joined(const std::vector<std::string>& messages) {
  std::string out;
  for (const std::string& m : messages) out += m + "\n---\n";
  return out;
}

TEST_F(SimGtest, ReportsTheFirstFailingSeedAndAReplayLineThatRerunsIt) {
  const std::optional<uint64_t> seed = FirstFailingSeed({.strategy = Strategy::kRandom});
  ASSERT_TRUE(seed.has_value()) << "the planted race never showed in 100 seeds";
  ASSERT_GT(*seed, 0u) << "pick a body whose first seed passes, so the replay line matters";

  const std::vector<std::string> swept =
      Sweep({.count = 100, .log_dir = ::testing::TempDir()}, LostUpdate);
  EXPECT_EQ(static_cast<uint64_t>(runs), *seed + 1) << "the sweep went past the failing seed";
  const std::string replay = Field(swept, "replay: ");
  ASSERT_FALSE(replay.empty()) << Joined(swept);
  EXPECT_NE(Joined(swept).find("lost update"), std::string::npos) << Joined(swept);
  EXPECT_NE(replay.find("DRPC_SIM_SEED=" + std::to_string(*seed) + " DRPC_SIM_STRATEGY=random "),
            std::string::npos)
      << replay;
  EXPECT_NE(replay.find("--gtest_filter=SimGtest."
                        "ReportsTheFirstFailingSeedAndAReplayLineThatRerunsIt"),
            std::string::npos)
      << replay;

  // The line's settings: one run, the same failure. The test's own count
  // (100) is overridden.
  ExportAssignments(replay);
  const std::vector<std::string> again =
      Sweep({.count = 100, .log_dir = ::testing::TempDir()}, LostUpdate);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Field(again, "replay: "), replay) << Joined(again);

  // A passing seed passes alone.
  setenv("DRPC_SIM_SEED", "0", 1);
  EXPECT_TRUE(Sweep({.count = 100}, LostUpdate).empty());
}

TEST_F(SimGtest, TheSavedChoiceLogReplaysToTheSameFailure) {
  const std::vector<std::string> swept =
      Sweep({.count = 100, .log_dir = ::testing::TempDir()}, LostUpdate);
  const std::string log = Field(swept, "choice log: ");
  ASSERT_FALSE(log.empty()) << Joined(swept);
  const std::string replay_log = Field(swept, "replay the log: ");
  EXPECT_NE(replay_log.find("DRPC_SIM_REPLAY=" + log + " "), std::string::npos) << replay_log;

  ExportAssignments(replay_log);
  const std::vector<std::string> replayed = Sweep({.count = 100}, LostUpdate);
  EXPECT_EQ(runs, 1);
  ASSERT_FALSE(replayed.empty()) << "the replay passed";
  EXPECT_NE(Joined(replayed).find("lost update"), std::string::npos) << Joined(replayed);
  EXPECT_EQ(Joined(replayed).find("did not end as recorded"), std::string::npos)
      << Joined(replayed);

  // Another body on the same choices ends otherwise, and the replay says so.
  const std::vector<std::string> other = Sweep({.count = 100}, NoRace);
  EXPECT_NE(Joined(other).find("did not end as recorded"), std::string::npos) << Joined(other);
}

TEST_F(SimGtest, PctStrategyFindsTheRaceAndSaysSoInTheReplayLine) {
  // The body is about ten steps long: PCT's change points must fall there.
  const std::optional<uint64_t> seed =
      FirstFailingSeed({.strategy = Strategy::kPct, .pct_steps = 10});
  ASSERT_TRUE(seed.has_value());
  setenv("DRPC_SIM_STRATEGY", "pct", 1);
  const std::vector<std::string> swept =
      Sweep({.count = 100, .log_dir = ::testing::TempDir(), .pct_steps = 10}, LostUpdate);
  EXPECT_NE(Field(swept, "replay: ")
                .find("DRPC_SIM_SEED=" + std::to_string(*seed) + " DRPC_SIM_STRATEGY=pct "),
            std::string::npos)
      << Joined(swept);
}

TEST_F(SimGtest, BadSettingsAreReportedByName) {
  setenv("DRPC_SIM_SEEDS", "0", 1);
  std::vector<std::string> failures = Sweep({}, LostUpdate);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("DRPC_SIM_SEEDS=\"0\""), std::string::npos) << failures[0];
  EXPECT_EQ(runs, 0);
  Clear();
  setenv("DRPC_SIM_STRATEGY", "dfs", 1);
  failures = Sweep({}, LostUpdate);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("want random or pct"), std::string::npos) << failures[0];
  Clear();
  setenv("DRPC_SIM_REPLAY", "/nonexistent/x.choices", 1);
  failures = Sweep({}, LostUpdate);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("cannot read the choice log"), std::string::npos) << failures[0];
}

TEST_F(SimGtest, SeedFlagsAreTakenOutOfTheCommandLine) {
  std::string program = "test", other = "--gtest_brief=1", bad = "--drpc_sim_speed=3";
  char* argv[] = {program.data(), bad.data(), nullptr};
  int argc = 2;
  EXPECT_FALSE(ConsumeSeedFlags(&argc, argv).ok());
  std::string seeds = "--drpc_sim_seeds=7";
  char* good[] = {program.data(), seeds.data(), other.data(), nullptr};
  argc = 3;
  ASSERT_TRUE(ConsumeSeedFlags(&argc, good).ok());
  EXPECT_EQ(argc, 2);
  EXPECT_EQ(std::string(good[1]), other);
  // The flag wins over the environment.
  setenv("DRPC_SIM_SEEDS", "3", 1);
  Result<SeedPlan> plan = SeedPlanFromEnvironment({});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->count, 7u);
}

}  // namespace
}  // namespace drpc::sim
