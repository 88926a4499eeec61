// drpc-sim sweep's reporting: progress on stderr (one redrawn line on a
// terminal, plain lines otherwise) and --jsonl records (a line per failing
// seed and a summary), with JSON strings escaped.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/jsonl.h"
#include "sim/testing/cli_checks.h"
#include "tests/sim/sim_test_util.h"

namespace drpc::sim::cli {
namespace {

using sim::testing::CliOutput;
using sim::testing::Contains;
using sim::testing::Read;
using sim::testing::RunCliStreams;
using sim::testing::TempDir;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(CliSweepJsonl, RecordsEveryFailingSeedAndASummary) {
  const std::string dir = TempDir("jsonl");
  const std::string path = dir + "/sweep.jsonl";
  // The echo handler answers its second call with the first call's reply.
  CliOutput o = RunCliStreams({"sweep", "--scenario", "rpc.crossed-reply.buggy", "--seeds", "8",
                               "--log-dir", dir, "--jsonl", path});
  ASSERT_EQ(o.rc, kExitFailureFound) << o.out << o.err;
  const std::vector<std::string> lines = Lines(Read(path));
  ASSERT_GE(lines.size(), 2u) << Read(path);
  uint64_t failures = 0;
  for (size_t i = 0; i + 1 < lines.size(); ++i) {
    const std::string& line = lines[i];
    SCOPED_TRACE(line);
    EXPECT_EQ(line.rfind("{\"record\":\"failure\",\"scenario\":\"rpc.crossed-reply.buggy\",", 0),
              0u);
    EXPECT_TRUE(Contains(line, "\"strategy\":\"random\""));
    EXPECT_TRUE(Contains(line, "\"options\":{\"max_steps\":\"400000\","));
    EXPECT_TRUE(Contains(line, "\"plants\":\"none\""));
    EXPECT_TRUE(Contains(line, "\"outcome\":\"invariant_failed\""));
    // The oracle's finding, first line only (no newline inside the record).
    EXPECT_TRUE(Contains(line, "\"invariant\":\"rpc workload: "));
    EXPECT_TRUE(Contains(line, "received call "));
    EXPECT_FALSE(Contains(line, "\\n"));
    EXPECT_TRUE(
        Contains(line, "\"replay\":\"drpc-sim run --scenario rpc.crossed-reply.buggy --seed "));
    EXPECT_EQ(line.back(), '}');
    ++failures;
  }
  // The first failure saved its choice log, and says where.
  EXPECT_TRUE(
      Contains(lines.front(), "\"choice_log\":\"" + dir + "/rpc.crossed-reply.buggy.seed-"));
  const std::string& summary = lines.back();
  EXPECT_EQ(
      summary.rfind("{\"record\":\"summary\",\"seeds\":8,\"from\":0,\"strategy\":\"random\"", 0),
      0u)
      << summary;
  EXPECT_TRUE(Contains(summary, "\"runs\":8,\"failed\":" + std::to_string(failures) + ","))
      << summary;
  EXPECT_TRUE(
      Contains(summary, "\"by_outcome\":{\"invariant_failed\":" + std::to_string(failures) + "}"))
      << summary;
  EXPECT_TRUE(Contains(summary, "\"scenarios\":[{\"scenario\":\"rpc.crossed-reply.buggy\""))
      << summary;
  // The text output agrees.
  EXPECT_TRUE(
      Contains(o.out, "rpc.crossed-reply.buggy: 8 seeds, " + std::to_string(failures) + " FAILED"))
      << o.out;
}

TEST(CliSweepJsonl, APassingSweepWritesOnlyTheSummary) {
  const std::string path = TempDir("jsonl_pass") + "/sweep.jsonl";
  CliOutput o = RunCliStreams({"sweep", "--scenario", "pipeline.fixed", "--seeds", "5",
                               "--strategy", "pct", "--pct-depth", "2", "--jsonl", path});
  ASSERT_EQ(o.rc, kExitOk) << o.out << o.err;
  EXPECT_EQ(Read(path),
            "{\"record\":\"summary\",\"seeds\":5,\"from\":0,\"strategy\":\"pct\",\"pct_depth\":2,"
            "\"runs\":5,\"failed\":0,\"by_outcome\":{},\"scenarios\":[{\"scenario\":"
            "\"pipeline.fixed\",\"runs\":5,\"failed\":0}]}\n");
}

TEST(CliSweepJsonl, BadValuesAreUsageErrors) {
  const std::string dir = TempDir("jsonl_bad");
  const std::vector<std::vector<std::string>> bad = {
      {"sweep", "--scenario", "pipeline.fixed", "--seeds", "2", "--jsonl"},
      {"sweep", "--scenario", "pipeline.fixed", "--seeds", "2", "--jsonl", ""},
      {"sweep", "--scenario", "pipeline.fixed", "--seeds", "2", "--jsonl", dir + "/no/such/dir/x"},
      {"sweep", "--scenario", "pipeline.fixed", "--seeds", "2", "--jsonl", dir + "/a", "--jsonl",
       dir + "/b"},
      {"run", "--scenario", "pipeline.fixed", "--seed", "2", "--jsonl", dir + "/a"},
  };
  for (const std::vector<std::string>& args : bad) {
    CliOutput o = RunCliStreams(args);
    EXPECT_EQ(o.rc, kExitUsage) << args.back() << ": " << o.out << o.err;
    EXPECT_TRUE(Contains(o.err, "drpc-sim: ")) << o.err;
  }
}

TEST(CliSweepJsonl, StringsAreEscaped) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a \"quote\" and a \\ back"), "\"a \\\"quote\\\" and a \\\\ back\"");
  EXPECT_EQ(JsonString("line\nnext\ttab\rcr"), "\"line\\nnext\\ttab\\rcr\"");
  EXPECT_EQ(JsonString(std::string("nul\0bel\x07", 8)), "\"nul\\u0000bel\\u0007\"");
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");  // UTF-8 kept
  EXPECT_EQ(JsonString("bad \xff byte, cut \xc3"), "\"bad \\ufffd byte, cut \\ufffd\"");
  EXPECT_EQ(JsonString("overlong \xc0\xaf"), "\"overlong \\ufffd\\ufffd\"");
}

TEST(CliSweepProgress, PlainLinesWhenNotATerminal) {
  CliOutput o = RunCliStreams({"sweep", "--scenario", "pipeline.fixed", "--seeds", "20"});
  ASSERT_EQ(o.rc, kExitOk) << o.out << o.err;
  EXPECT_FALSE(Contains(o.err, "\r")) << o.err;
  const std::vector<std::string> lines = Lines(o.err);
  // A line every tenth of the sweep.
  ASSERT_EQ(lines.size(), 10u) << o.err;
  EXPECT_EQ(lines.front(), "sweep pipeline.fixed: 2/20 seeds, 0 failed");
  EXPECT_EQ(lines.back(), "sweep pipeline.fixed: 20/20 seeds, 0 failed");
  // Progress is on stderr only: stdout has the result.
  EXPECT_FALSE(Contains(o.out, "/20 seeds")) << o.out;
}

TEST(CliSweepProgress, OneRedrawnLineOnATerminal) {
  CliOutput o =
      RunCliStreams({"sweep", "--scenario", "lock_order.buggy", "--seeds", "200", "--no-save-log"},
                    /*env=*/{}, /*err_is_terminal=*/true);
  ASSERT_EQ(o.rc, kExitFailureFound);
  // Every update starts with \r and only the last one ends the line.
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\r'), 100) << o.err;
  EXPECT_TRUE(Contains(o.err, "\rsweep lock_order.buggy: 200/200 seeds, ")) << o.err;
  EXPECT_EQ(o.err.back(), '\n');
}

}  // namespace
}  // namespace drpc::sim::cli
