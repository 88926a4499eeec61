// drpc-sim's search commands in-process (cli::SimMain): --strategy pct,
// explore and shrink, and that what they print and save replays.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/search.h"
#include "sim/sched/choice_log.h"

namespace drpc::sim::cli {
namespace {

struct Printed {
  int status = 0;
  std::string out;
  std::string err;
};

Printed Sim(std::vector<std::string> args) {
  args.insert(args.begin(), "drpc-sim");
  std::ostringstream out, err;
  Printed printed;
  printed.status = SimMain(args, out, err, [](const char*) -> const char* { return nullptr; });
  printed.out = out.str();
  printed.err = err.str();
  return printed;
}

// The value after `label` up to the end of its line ("" if absent).
std::string LineAfter(const std::string& text, const std::string& label) {
  const size_t at = text.find(label);
  if (at == std::string::npos) return "";
  const size_t start = at + label.size();
  return text.substr(start, text.find('\n', start) - start);
}

// Runs a printed replay line ("drpc-sim run --scenario ..." words).
Printed RunLine(const std::string& line, const std::vector<std::string>& extra) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  EXPECT_FALSE(words.empty());
  words.erase(words.begin());  // the program
  words.insert(words.end(), extra.begin(), extra.end());
  return Sim(words);
}

ChoiceLogFile ReadLog(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  Result<ChoiceLogFile> log = ParseChoiceLog(text.str());
  EXPECT_TRUE(log.ok()) << path << ": " << log.status().message();
  return log.ok() ? *log : ChoiceLogFile{};
}

uint64_t Nonzero(const ChoiceLogFile& log) {
  uint64_t count = 0;
  for (const ChoiceRecord& c : log.choices) count += c.value != 0;
  return count;
}

class SearchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("drpc_search_cli_" + std::string(info->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Dir() const { return dir_.string(); }

  std::filesystem::path dir_;
};

TEST_F(SearchCli, PctFailurePrintsAReplayLineThatReproducesIt) {
  // Find a failing PCT seed of lock_order.buggy with a sweep.
  const Printed sweep = Sim({"sweep", "--scenario", "lock_order.buggy", "--seeds", "100",
                             "--strategy", "pct", "--pct-depth", "3", "--log-dir", Dir()});
  ASSERT_EQ(sweep.status, kExitFailureFound) << sweep.out << sweep.err;
  EXPECT_NE(sweep.out.find("(pct, depth 3): deadlock"), std::string::npos) << sweep.out;
  const std::string replay = LineAfter(sweep.out, "replay: ");
  EXPECT_NE(replay.find("--strategy pct --pct-depth 3 --pct-steps "), std::string::npos) << replay;
  const std::string hash = LineAfter(sweep.out, "trace hash ").substr(0, 18);
  const std::string log = LineAfter(sweep.out, "choice log: ");
  EXPECT_NE(log.find(".pct-d3.seed-"), std::string::npos) << log;
  EXPECT_EQ(LineAfter(sweep.out, "shrink: "), "drpc-sim shrink " + log);

  const Printed again = RunLine(replay, {"--no-save-log"});
  EXPECT_EQ(again.status, kExitFailureFound);
  EXPECT_NE(again.out.find("trace hash " + hash), std::string::npos) << again.out;
  // The saved log replays without knowing the strategy.
  const Printed replayed = Sim({"replay", log, "--expect-recorded"});
  EXPECT_EQ(replayed.status, kExitOk) << replayed.out;
}

TEST_F(SearchCli, PctSweepChecksDeterminism) {
  const Printed sweep = Sim({"sweep", "--scenario", "manager.fixed", "--seeds", "5", "--strategy",
                             "pct", "--pct-depth", "4", "--check-determinism", "--no-save-log"});
  EXPECT_EQ(sweep.status, kExitOk) << sweep.out << sweep.err;
  EXPECT_NE(sweep.out.find("each run twice for determinism): all passed"), std::string::npos);
}

TEST_F(SearchCli, PctCatchesPlantedNondeterminism) {
  const Printed check = Sim({"check", "--scenario", "nondeterminism.heap_address", "--seed", "1",
                             "--strategy", "pct", "--no-save-log"});
  EXPECT_EQ(check.status, kExitFailureFound) << check.out;
  EXPECT_NE(check.out.find("NONDETERMINISM"), std::string::npos) << check.out;
}

TEST_F(SearchCli, HuntWithPct) {
  const Printed hunt = Sim({"hunt", "--scenario", "check_then_act.buggy", "--trials", "5",
                            "--strategy", "pct", "--no-save-log"});
  EXPECT_EQ(hunt.status, kExitOk) << hunt.out;
  EXPECT_NE(hunt.out.find("check_then_act.buggy (pct, depth 3, "), std::string::npos) << hunt.out;
}

TEST_F(SearchCli, RandomFailureReportsOfferShrink) {
  const Printed run =
      Sim({"run", "--scenario", "check_then_act.buggy", "--seed", "4", "--log-dir", Dir()});
  ASSERT_EQ(run.status, kExitFailureFound);
  const std::string log = LineAfter(run.out, "choice log: ");
  EXPECT_EQ(LineAfter(run.out, "shrink: "), "drpc-sim shrink " + log);
  // Unchanged for the random scheduler: no strategy flags in the replay line.
  EXPECT_EQ(LineAfter(run.out, "replay: "),
            "drpc-sim run --scenario check_then_act.buggy --seed 4");
}

TEST_F(SearchCli, ExploreFindsSavesAndReplays) {
  const Printed explore =
      Sim({"explore", "--scenario", "lock_order.buggy", "--preemptions", "1", "--log-dir", Dir()});
  ASSERT_EQ(explore.status, kExitFailureFound) << explore.out << explore.err;
  EXPECT_NE(explore.out.find("(explore, 1 preemption): deadlock"), std::string::npos)
      << explore.out;
  const std::string log = LineAfter(explore.out, "choice log: ");
  EXPECT_EQ(log, Dir() + "/lock_order.buggy.explore-p1.choices");
  EXPECT_EQ(LineAfter(explore.out, "replay: "), "drpc-sim replay " + log);
  const Printed replayed = Sim({"replay", log, "--expect-recorded"});
  EXPECT_EQ(replayed.status, kExitOk) << replayed.out;
}

TEST_F(SearchCli, ExploreExhaustsAFixedScenario) {
  const Printed explore =
      Sim({"explore", "--scenario", "lock_order.fixed", "--preemptions", "2", "--no-save-log"});
  EXPECT_EQ(explore.status, kExitOk) << explore.out;
  EXPECT_NE(explore.out.find("lock_order.fixed: exhausted after "), std::string::npos)
      << explore.out;
  const Printed capped = Sim({"explore", "--scenario", "lock_order.fixed", "--preemptions", "2",
                              "--max-runs", "3", "--no-save-log"});
  EXPECT_EQ(capped.status, kExitOk);
  EXPECT_NE(capped.out.find("NOT exhausted"), std::string::npos) << capped.out;
}

TEST_F(SearchCli, ShrinkWritesASmallerLogThatReplays) {
  const Printed run =
      Sim({"run", "--scenario", "ring.double-done.buggy", "--seed", "0", "--log-dir", Dir()});
  ASSERT_EQ(run.status, kExitFailureFound) << run.out;
  const std::string log = LineAfter(run.out, "choice log: ");
  const Printed shrink = Sim({"shrink", log});
  ASSERT_EQ(shrink.status, kExitOk) << shrink.out << shrink.err;
  const std::string shrunk = DefaultShrunkPath(log);
  EXPECT_EQ(LineAfter(shrink.out, "shrunk log: "), shrunk);
  EXPECT_EQ(LineAfter(shrink.out, "replay: "), "drpc-sim replay " + shrunk);
  EXPECT_NE(shrink.out.find("before: "), std::string::npos);
  EXPECT_NE(shrink.out.find("after:  "), std::string::npos);
  EXPECT_NE(shrink.out.find("trace tail"), std::string::npos);
  EXPECT_LT(Nonzero(ReadLog(shrunk)), Nonzero(ReadLog(log)));
  const Printed replayed = Sim({"replay", shrunk, "--expect-recorded"});
  EXPECT_EQ(replayed.status, kExitOk) << replayed.out;
  EXPECT_NE(replayed.out.find("invariant violated: buffer ledger: double release"),
            std::string::npos)
      << replayed.out;

  const std::string out = Dir() + "/chosen.choices";
  const std::string trace = Dir() + "/shrunk.trace";
  const Printed again = Sim({"shrink", log, "--out", out, "--max-runs", "10", "--trace", trace});
  EXPECT_EQ(again.status, kExitOk) << again.out << again.err;
  EXPECT_NE(again.out.find("runs: 10 (bound 10; stopped at the bound)"), std::string::npos)
      << again.out;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_GT(std::filesystem::file_size(trace), 0u);
}

TEST_F(SearchCli, ShrinkRefusesALogThatPasses) {
  const std::string log = Dir() + "/passing.choices";
  const Printed run =
      Sim({"run", "--scenario", "lock_order.fixed", "--seed", "1", "--save-log", log});
  ASSERT_EQ(run.status, kExitOk);
  const Printed shrink = Sim({"shrink", log, "--no-save-log"});
  EXPECT_EQ(shrink.status, kExitFailureFound);
  EXPECT_NE(shrink.out.find("does not fail when rerun"), std::string::npos) << shrink.out;
}

TEST_F(SearchCli, BadArguments) {
  const std::vector<std::vector<std::string>> bad = {
      {"run", "--scenario", "lock_order.buggy", "--seed", "1", "--pct-depth", "2"},
      {"run", "--scenario", "lock_order.buggy", "--seed", "1", "--strategy", "dfs"},
      {"run", "--scenario", "lock_order.buggy", "--seed", "1", "--strategy", "pct", "--pct-depth",
       "0"},
      {"run", "--scenario", "lock_order.buggy", "--seed", "1", "--strategy", "pct", "--pct-steps",
       "0"},
      {"explore", "--scenario", "lock_order.buggy", "--preemptions", "65"},
      {"explore", "--scenario", "lock_order.buggy", "--max-runs", "0"},
      {"explore", "--scenario", "lock_order.buggy", "--strategy", "pct"},
      {"shrink"},
      {"shrink", Dir() + "/missing.choices"},
      {"replay", "x", "--strategy", "pct"},
  };
  for (const auto& args : bad) {
    const Printed printed = Sim(args);
    EXPECT_EQ(printed.status, kExitUsage) << args[0] << " " << (args.size() > 1 ? args.back() : "");
    EXPECT_NE(printed.err.find("drpc-sim: "), std::string::npos);
  }
}

TEST(SearchCliPaths, ShrunkLogNames) {
  EXPECT_EQ(DefaultShrunkPath("a/b.seed-3.choices"), "a/b.seed-3.shrunk.choices");
  EXPECT_EQ(DefaultShrunkPath("log.txt"), "log.txt.shrunk.choices");
  EXPECT_EQ(DefaultShrunkPath(".choices"), ".choices.shrunk.choices");
}

}  // namespace
}  // namespace drpc::sim::cli
