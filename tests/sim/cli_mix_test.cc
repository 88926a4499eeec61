// drpc-sim sweep --strategy A,B,...: seed S runs under entry S mod n, every
// failing seed's record and replay line name its own strategy, and that
// line reruns exactly that failure.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/testing/cli_checks.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using sim::testing::CliOutput;
using sim::testing::CliRun;
using sim::testing::Contains;
using sim::testing::Read;
using sim::testing::RunCliStreams;
using sim::testing::RunReplayLine;
using sim::testing::TempDir;

// The value of "key":"..." in a JSON line (no escapes in what we read).
std::string Field(const std::string& line, const std::string& key) {
  const std::string open = "\"" + key + "\":\"";
  const size_t at = line.find(open);
  if (at == std::string::npos) return "";
  const size_t from = at + open.size();
  return line.substr(from, line.find('"', from) - from);
}

uint64_t Seed(const std::string& line) {
  const size_t at = line.find("\"seed\":");
  return at == std::string::npos ? UINT64_MAX : std::stoull(line.substr(at + 7));
}

TEST(CliStrategyMix, EachSeedRunsAndReplaysUnderItsOwnStrategy) {
  const std::string dir = TempDir("mix");
  const std::string path = dir + "/mix.jsonl";
  CliOutput o =
      RunCliStreams({"sweep", "--scenario", "lock_order.buggy", "--seeds", "120", "--strategy",
                     "random,pct:3,pct:5", "--no-save-log", "--jsonl", path});
  ASSERT_EQ(o.rc, kExitFailureFound) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "seed S under strategy S mod 3 of random,pct:3,pct:5")) << o.out;
  std::istringstream lines(Read(path));
  int by_entry[3] = {0, 0, 0};
  for (std::string line; std::getline(lines, line);) {
    if (Field(line, "record") != "failure") {
      EXPECT_EQ(Field(line, "strategy"), "random,pct:3,pct:5") << line;
      continue;
    }
    SCOPED_TRACE(line);
    const uint64_t seed = Seed(line);
    const std::string replay = Field(line, "replay");
    switch (seed % 3) {
      case 0:
        EXPECT_EQ(Field(line, "strategy"), "random");
        EXPECT_FALSE(Contains(replay, "--strategy"));
        break;
      case 1:
        EXPECT_TRUE(Contains(line, "\"strategy\":\"pct\",\"pct_depth\":3,"));
        EXPECT_TRUE(Contains(replay, " --strategy pct --pct-depth 3 --pct-steps "));
        break;
      default:
        EXPECT_TRUE(Contains(line, "\"strategy\":\"pct\",\"pct_depth\":5,"));
        EXPECT_TRUE(Contains(replay, " --strategy pct --pct-depth 5 --pct-steps "));
        break;
    }
    ++by_entry[seed % 3];
    const CliRun again = RunReplayLine(replay);
    EXPECT_EQ(again.exit_status, kExitFailureFound) << again.printed;
    EXPECT_TRUE(Contains(again.printed, "FAIL lock_order.buggy seed " + std::to_string(seed)))
        << again.printed;
  }
  for (int n : by_entry) EXPECT_GT(n, 0);  // every strategy found the deadlock
}

TEST(CliStrategyMix, MixIsTheDefaultMixAndOnlySweepTakesOne) {
  CliOutput o = RunCliStreams({"sweep", "--scenario", "lock_order.fixed", "--seeds", "4",
                               "--strategy", "mix", "--no-save-log"});
  EXPECT_EQ(o.rc, kExitOk) << o.out << o.err;
  EXPECT_TRUE(Contains(o.out, "seed S under strategy S mod ")) << o.out;
  o = RunCliStreams(
      {"run", "--scenario", "lock_order.fixed", "--seed", "1", "--strategy", "random,pct"});
  EXPECT_EQ(o.rc, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "a mix of strategies is for sweep")) << o.err;
  o = RunCliStreams(
      {"sweep", "--scenario", "lock_order.fixed", "--seeds", "4", "--strategy", "random,pct:0"});
  EXPECT_EQ(o.rc, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "'pct:0': a PCT depth is a whole number in [1, 64]")) << o.err;
}

}  // namespace
}  // namespace drpc::sim::cli
