// The choice log text format: round trip, and clear errors for bad files.
#include "sim/sched/choice_log.h"

#include <gtest/gtest.h>

#include <string>

namespace drpc::sim {
namespace {

ChoiceLogFile Sample(size_t choices) {
  ChoiceLogFile file;
  file.scenario = "lock_order.buggy";
  file.seed = 17;
  file.options = {{"max_steps", "5000"}, {"stack_bytes", "65536"}};
  file.result = RecordedResult{"deadlock", 57, 0x9c1e0c3b5d2a7f10ull};
  for (size_t i = 0; i < choices; ++i) {
    file.choices.push_back(
        ChoiceRecord{static_cast<ChoiceKind>(i % kChoiceKindCount), 2 + i, i % (2 + i)});
  }
  return file;
}

TEST(ChoiceLog, RoundTrips) {
  for (size_t n : {0, 1, 16, 17, 100}) {
    ChoiceLogFile file = Sample(n);
    Result<ChoiceLogFile> parsed = ParseChoiceLog(FormatChoiceLog(file));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(parsed->scenario, file.scenario);
    EXPECT_EQ(parsed->seed, file.seed);
    EXPECT_EQ(parsed->options, file.options);
    EXPECT_EQ(parsed->result, file.result);
    EXPECT_EQ(parsed->choices, file.choices);
  }
}

TEST(ChoiceLog, TextIsCompactAndReadable) {
  ChoiceLogFile file;
  file.scenario = "x";
  file.choices = {{ChoiceKind::kSchedule, 2, 1}, {ChoiceKind::kTime, 3, 0}};
  EXPECT_EQ(FormatChoiceLog(file), "drpc-sim choices v1\nscenario x\nchoices 2\ns2:1 t3:0\nend\n");
}

TEST(ChoiceLog, AcceptsCommentsBlankLinesAndCrLf) {
  Result<ChoiceLogFile> parsed = ParseChoiceLog(
      "# saved by hand\r\ndrpc-sim choices v1\r\n\r\nscenario y\r\nchoices 1\r\nw4:3\r\nend\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->choices.size(), 1u);
  EXPECT_EQ(parsed->choices[0], (ChoiceRecord{ChoiceKind::kWorkload, 4, 3}));
}

void ExpectError(const std::string& text, const std::string& fragment) {
  Result<ChoiceLogFile> parsed = ParseChoiceLog(text);
  ASSERT_FALSE(parsed.ok()) << "accepted:\n" << text;
  EXPECT_NE(parsed.status().message().find(fragment), std::string::npos)
      << parsed.status().message();
}

TEST(ChoiceLog, RejectsBadFilesWithAReason) {
  ExpectError("", "empty");
  ExpectError("hello\n", "not a drpc-sim choice log");
  ExpectError("drpc-sim choices v2\nscenario x\nchoices 0\nend\n",
              "unsupported choice log version 2");
  ExpectError("drpc-sim choices v1\nchoices 0\nend\n", "no `scenario`");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 2\ns2:1\n", "truncated");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 2\ns2:1\nend\n", "but 1 listed");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 1\ns2:1 s2:0\nend\n", "more choices");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 1\ns2:2\nend\n", "bad choice `s2:2`");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 1\nq2:1\nend\n", "bad choice");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 1\ns1:0\nend\n", "bad choice");
  ExpectError("drpc-sim choices v1\nscenario x\nseed -3\nchoices 0\nend\n", "bad seed");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 99999999999\nend\n", "bad choice count");
  ExpectError("drpc-sim choices v1\nscenario x\nfrobnicate\nchoices 0\nend\n", "line 3");
  ExpectError("drpc-sim choices v1\nscenario x\nchoices 0\nend\nmore\n", "after `end`");
}

TEST(ChoiceLog, ParsesSingleChoices) {
  EXPECT_EQ(ParseChoice("f10:9"), (ChoiceRecord{ChoiceKind::kFault, 10, 9}));
  EXPECT_FALSE(ParseChoice("f10:10"));
  EXPECT_FALSE(ParseChoice("f10"));
  EXPECT_FALSE(ParseChoice("s:1"));
  EXPECT_EQ(FormatChoice({ChoiceKind::kNet, 300, 299}), "n300:299");
}

}  // namespace
}  // namespace drpc::sim
