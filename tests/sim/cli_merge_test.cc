// drpc-sim sweep --shard and drpc-sim merge: the N shards of a sweep run
// disjoint seeds that together are the whole sweep, and their merged report
// is the whole sweep's; merge refuses what is not one whole sweep. The JSON
// reader behind merge gets its own checks (escapes, 64-bit numbers, bad
// input).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/json_value.h"
#include "sim/cli/merge.h"
#include "sim/cli/shard.h"
#include "sim/testing/cli_checks.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using sim::testing::CliOutput;
using sim::testing::Contains;
using sim::testing::Read;
using sim::testing::RunCliStreams;
using sim::testing::TempDir;

// Everything after the first line (which says how many shards were merged).
std::string Body(const std::string& report) {
  const size_t eol = report.find('\n');
  return eol == std::string::npos ? "" : report.substr(eol + 1);
}

constexpr char kScenario[] = "lost_wakeup.buggy";  // deadlocks on about 1 seed in 5

CliOutput Sweep(const std::string& dir, const std::string& jsonl, const std::string& shard) {
  std::vector<std::string> args = {"sweep", "--scenario", kScenario, "--seeds",
                                   "40",    "--from",     "3",       "--jsonl",
                                   jsonl,   "--log-dir",  dir,       "--no-save-log"};
  if (!shard.empty()) {
    args.push_back("--shard");
    args.push_back(shard);
  }
  return RunCliStreams(args);
}

TEST(Shard, SplitsTheSeedsIntoDisjointSlicesThatCoverThemAll) {
  for (uint64_t count : {1u, 2u, 3u, 7u}) {
    for (uint64_t seeds : {0u, 1u, 5u, 40u}) {
      uint64_t total = 0;
      std::set<uint64_t> owned;
      for (uint64_t index = 0; index < count; ++index) {
        const Shard shard{index, count};
        uint64_t mine = 0;
        for (uint64_t i = 0; i < seeds; ++i) {
          if (!shard.Owns(i)) continue;
          ++mine;
          EXPECT_TRUE(owned.insert(i).second) << "offset " << i << " in two shards";
        }
        EXPECT_EQ(mine, shard.SeedsOf(seeds));
        total += mine;
      }
      EXPECT_EQ(total, seeds);
    }
  }
}

TEST(Shard, ParsesIndexOverCountAndRefusesTheRest) {
  std::string problem;
  ASSERT_TRUE(ParseShard("2/5", problem).has_value());
  EXPECT_EQ(ParseShard("2/5", problem)->index, 2u);
  for (const char* bad : {"", "5/5", "1", "/3", "1/", "a/b", "-1/3", "1/0", "1/9999999", "1/3x"}) {
    EXPECT_FALSE(ParseShard(bad, problem).has_value()) << bad;
  }
}

TEST(CliMerge, FourShardsMergeIntoTheWholeSweepsReport) {
  const std::string dir = TempDir("merge");
  CliOutput whole = Sweep(dir, dir + "/whole.jsonl", "");
  ASSERT_EQ(whole.rc, kExitFailureFound) << whole.out << whole.err;
  std::vector<std::string> shards;
  for (int i = 0; i < 4; ++i) {
    shards.push_back(dir + "/shard-" + std::to_string(i) + ".jsonl");
    CliOutput o = Sweep(dir, shards.back(), std::to_string(i) + "/4");
    ASSERT_TRUE(o.rc == kExitOk || o.rc == kExitFailureFound) << o.out << o.err;
    EXPECT_TRUE(Contains(o.out, "shard " + std::to_string(i) + "/4")) << o.out;
  }
  CliOutput merged_whole = RunCliStreams({"merge", dir + "/whole.jsonl"});
  // Shards in any order give the same report.
  CliOutput merged = RunCliStreams({"merge", shards[2], shards[0], shards[3], shards[1]});
  ASSERT_EQ(merged_whole.rc, kExitFailureFound) << merged_whole.err;
  ASSERT_EQ(merged.rc, kExitFailureFound) << merged.err;
  EXPECT_TRUE(Contains(merged.out, "merged 4 shard(s)")) << merged.out;
  EXPECT_TRUE(Contains(merged.out, "40 runs")) << merged.out;
  EXPECT_TRUE(Contains(merged.out, "run --scenario lost_wakeup.buggy --seed ")) << merged.out;
  EXPECT_EQ(Body(merged.out), Body(merged_whole.out));
}

TEST(CliMerge, RefusesAMissingARepeatedOrAnUnfinishedShard) {
  const std::string dir = TempDir("merge-bad");
  std::vector<std::string> shards;
  for (int i = 0; i < 3; ++i) {
    shards.push_back(dir + "/shard-" + std::to_string(i) + ".jsonl");
    Sweep(dir, shards.back(), std::to_string(i) + "/3");
  }
  CliOutput missing = RunCliStreams({"merge", shards[0], shards[2]});
  EXPECT_EQ(missing.rc, kExitUsage);
  EXPECT_TRUE(Contains(missing.err, "shard(s) 1 of 3 missing")) << missing.err;
  CliOutput twice = RunCliStreams({"merge", shards[0], shards[1], shards[1], shards[2]});
  EXPECT_EQ(twice.rc, kExitUsage);
  EXPECT_TRUE(Contains(twice.err, "given twice")) << twice.err;
  // A shard whose process died before its summary line.
  std::string text = Read(shards[1]);
  text = text.substr(0, text.rfind("{\"record\":\"summary\""));
  const std::string cut = dir + "/cut.jsonl";
  std::ofstream(cut, std::ios::binary) << text;
  CliOutput unfinished = RunCliStreams({"merge", shards[0], cut, shards[2]});
  EXPECT_EQ(unfinished.rc, kExitUsage);
  EXPECT_TRUE(Contains(unfinished.err, "no summary line")) << unfinished.err;
  CliOutput none = RunCliStreams({"merge"});
  EXPECT_EQ(none.rc, kExitUsage);
}

TEST(CliMerge, RefusesShardsOfDifferentSweeps) {
  const std::string dir = TempDir("merge-mixed");
  const std::string a = dir + "/a.jsonl", b = dir + "/b.jsonl";
  RunCliStreams({"sweep", "--scenario", kScenario, "--seeds", "10", "--shard", "0/2", "--jsonl", a,
                 "--no-save-log"});
  RunCliStreams({"sweep", "--scenario", kScenario, "--seeds", "12", "--shard", "1/2", "--jsonl", b,
                 "--no-save-log"});
  CliOutput o = RunCliStreams({"merge", a, b});
  EXPECT_EQ(o.rc, kExitUsage);
  EXPECT_TRUE(Contains(o.err, "not a shard of the same sweep")) << o.err;
}

TEST(MergeSweepReports, ChecksFailureLinesAgainstTheSummary) {
  const std::string summary =
      R"({"record":"summary","seeds":4,"from":0,"strategy":"random","runs":4,"failed":2,)"
      R"("by_outcome":{"deadlock":2},"scenarios":[{"scenario":"s","runs":4,"failed":2}]})";
  const std::string failure =
      R"({"record":"failure","scenario":"s","seed":3,"outcome":"deadlock","invariant":"x",)"
      R"("replay":"drpc-sim run --scenario s --seed 3"})";
  Result<MergedSweep> short_one = MergeSweepReports({{"f", failure + "\n" + summary + "\n"}});
  ASSERT_FALSE(short_one.ok());
  EXPECT_TRUE(Contains(short_one.status().message(), "counts 2 failure(s) but it holds 1"));
  Result<MergedSweep> whole =
      MergeSweepReports({{"f", failure + "\n" + failure + "\n" + summary + "\n"}});
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  EXPECT_EQ(whole->failures.size(), 2u);
  EXPECT_EQ(whole->runs(), 4u);
  Result<MergedSweep> after = MergeSweepReports({{"f", summary + "\n" + failure + "\n"}});
  EXPECT_FALSE(after.ok());
  Result<MergedSweep> junk = MergeSweepReports({{"f", "{\"record\":\"other\"}\n" + summary}});
  EXPECT_FALSE(junk.ok());
}

TEST(ParseJson, ReadsWhatJsonlWrites) {
  Result<JsonValue> v =
      ParseJson(R"( {"s":"a\"b\\c\n\u00e9\ud83d\ude00","n":18446744073709551615,"neg":-1.5e3,)"
                R"("t":true,"z":null,"a":[1,[2],{}]} )");
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->String("s"), std::string("a\"b\\c\n\xC3\xA9\xF0\x9F\x98\x80"));
  EXPECT_EQ(v->Uint64("n"), UINT64_MAX);
  EXPECT_FALSE(v->Uint64("neg").has_value());
  EXPECT_EQ(v->Find("a")->items.size(), 3u);
  EXPECT_TRUE(v->Find("t")->boolean);
  EXPECT_EQ(v->Find("missing"), nullptr);
  Result<JsonValue> big = ParseJson(R"({"n":18446744073709551616})");
  ASSERT_TRUE(big.ok());
  EXPECT_FALSE(big->Uint64("n").has_value());
}

TEST(ParseJson, RefusesMalformedInputWithItsOffset) {
  for (const char* bad : {"", "{", "{\"a\"}", "{\"a\":}", "[1,]", "\"abc", "\"\\x\"", "tru",
                          "{} {}", "01x", "\"\\u12\"", "-", "1.", "1e"}) {
    Result<JsonValue> v = ParseJson(bad);
    EXPECT_FALSE(v.ok()) << bad;
    if (!v.ok()) EXPECT_TRUE(Contains(v.status().message(), "JSON at byte ")) << bad;
  }
  std::string deep(100, '[');
  deep += std::string(100, ']');
  Result<JsonValue> nested = ParseJson(deep);
  ASSERT_FALSE(nested.ok());
  EXPECT_TRUE(Contains(nested.status().message(), "nested too deeply"));
}

}  // namespace
}  // namespace drpc::sim::cli
