// Decision sources: the PRNG is the published algorithm (known answers), the
// reduction to [0, n) is unbiased, input sources default to 0 when they run
// dry, the recorder logs and replay detects divergence.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <vector>

#include "sim/sched/input_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/recording_source.h"
#include "sim/sched/replay_source.h"

namespace drpc::sim {
namespace {

ChoiceRequest Ask(ChoiceKind kind, uint64_t n) { return ChoiceRequest{kind, n, 7, {}, kNoFiber}; }

TEST(SplitMix64, MatchesTheReferenceOutputForSeedZero) {
  // First outputs of the reference splitmix64.c seeded with 0.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafull);
  EXPECT_EQ(rng.Next(), 0x6e789e6aa1b965f4ull);
  EXPECT_EQ(rng.Next(), 0x06c45d188009454full);
}

TEST(Xoshiro256, MatchesTheReferenceOutputForState1234) {
  // xoshiro256** 1.0 from state {1, 2, 3, 4}; the first two follow by hand
  // from the definition: rotl(2 * 5, 7) * 9 = 11520, then s[1] becomes 0.
  Xoshiro256 rng(std::array<uint64_t, 4>{1, 2, 3, 4});
  const std::vector<uint64_t> expected = {
      11520, 0, 1509978240, 1215971899390074240ull, 1216172134540287360ull, 607988272756665600ull};
  for (uint64_t want : expected) EXPECT_EQ(rng.Next(), want);
}

TEST(Xoshiro256, SeedsThroughSplitMix64) {
  Xoshiro256 rng(42);
  EXPECT_EQ(rng.Next(), 0x15780b2e0c2ec716ull);
  EXPECT_EQ(rng.Next(), 0x6104d9866d113a7eull);
  EXPECT_EQ(rng.Next(), 0xae17533239e499a1ull);
}

TEST(Xoshiro256, BelowStaysInRangeForAwkwardBounds) {
  Xoshiro256 rng(1);
  for (uint64_t n : {1ull, 2ull, 3ull, 7ull, 1000ull, (1ull << 63) + 1, ~0ull}) {
    for (int i = 0; i < 1000; ++i) ASSERT_LT(rng.Below(n), n) << "n=" << n;
  }
}

TEST(Xoshiro256, BelowIsUniformEnough) {
  // 60000 draws over 3 buckets: each bucket within 3% of 20000. A biased
  // reduction such as (x % 3) on a 2-bit source would miss this easily.
  Xoshiro256 rng(7);
  std::array<int, 3> counts{};
  for (int i = 0; i < 60000; ++i) ++counts[rng.Below(3)];
  for (int c : counts) EXPECT_NEAR(c, 20000, 600);
}

TEST(RandomSource, SameSeedSameChoicesDifferentSeedDifferentChoices) {
  RandomSource a(5), b(5), c(6);
  std::vector<uint64_t> va, vb, vc;
  for (int i = 0; i < 64; ++i) {
    va.push_back(a.Choose(Ask(ChoiceKind::kSchedule, 10)));
    vb.push_back(b.Choose(Ask(ChoiceKind::kSchedule, 10)));
    vc.push_back(c.Choose(Ask(ChoiceKind::kSchedule, 10)));
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
}

TEST(BytesDecisionSource, ReadsTheFewestBytesAndReducesModN) {
  const std::vector<uint8_t> bytes = {5, 200, 0x34, 0x12, 9};
  BytesDecisionSource source(bytes);
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kSchedule, 2)), 1u);            // 5 % 2
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kNet, 256)), 200u);             // one byte covers 256
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kFault, 257)), 0x1234u % 257);  // two bytes, LE
  EXPECT_EQ(source.consumed(), 4u);
  EXPECT_FALSE(source.exhausted());
}

TEST(BytesDecisionSource, ExhaustionGivesZeros) {
  const std::vector<uint8_t> bytes = {3, 0xff};
  BytesDecisionSource source(bytes);
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kSchedule, 4)), 3u);
  // Needs two bytes, finds one: takes it and answers 0.
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kWorkload, 1000)), 0u);
  EXPECT_TRUE(source.exhausted());
  for (int i = 0; i < 10; ++i) EXPECT_EQ(source.Choose(Ask(ChoiceKind::kSchedule, 3)), 0u);
  EXPECT_EQ(source.defaulted(), 11u);
}

TEST(BytesDecisionSource, EmptyInputIsAllZeros) {
  BytesDecisionSource source({});
  for (uint64_t n = 2; n < 50; ++n) EXPECT_EQ(source.Choose(Ask(ChoiceKind::kTime, n)), 0u);
}

TEST(IntSource, TakesValuesModNThenZeros) {
  IntSource source({7, 2, 100});
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kSchedule, 3)), 1u);
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kSchedule, 3)), 2u);
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kNet, 10)), 0u);
  EXPECT_TRUE(source.exhausted());
  EXPECT_EQ(source.Choose(Ask(ChoiceKind::kNet, 10)), 0u);
  EXPECT_EQ(source.defaulted(), 1u);
}

TEST(RecordingSource, LogsEveryChoiceWithKindAndN) {
  IntSource inner({1, 4, 2});
  RecordingSource recorder(inner);
  recorder.Choose(Ask(ChoiceKind::kSchedule, 2));
  recorder.Choose(Ask(ChoiceKind::kNet, 5));
  recorder.Choose(Ask(ChoiceKind::kTime, 3));
  const ChoiceLog want = {
      {ChoiceKind::kSchedule, 2, 1}, {ChoiceKind::kNet, 5, 4}, {ChoiceKind::kTime, 3, 2}};
  EXPECT_EQ(recorder.log(), want);
}

TEST(ReplaySource, GivesBackTheRecordedValues) {
  ReplaySource replay({{ChoiceKind::kSchedule, 2, 1}, {ChoiceKind::kFault, 9, 8}});
  EXPECT_EQ(replay.Choose(Ask(ChoiceKind::kSchedule, 2)), 1u);
  EXPECT_FALSE(replay.fully_consumed());
  EXPECT_EQ(replay.Choose(Ask(ChoiceKind::kFault, 9)), 8u);
  EXPECT_TRUE(replay.fully_consumed());
  EXPECT_FALSE(replay.diverged());
}

TEST(ReplaySource, DetectsADifferentKind) {
  ReplaySource replay({{ChoiceKind::kSchedule, 2, 1}});
  replay.Choose(Ask(ChoiceKind::kNet, 2));
  ASSERT_TRUE(replay.diverged());
  EXPECT_NE(replay.divergence().find("choice #1 at step 7"), std::string::npos)
      << replay.divergence();
  EXPECT_NE(replay.divergence().find("recorded a schedule choice among 2"), std::string::npos);
  EXPECT_NE(replay.divergence().find("asks for a net choice among 2"), std::string::npos);
}

TEST(ReplaySource, DetectsADifferentN) {
  ReplaySource replay({{ChoiceKind::kSchedule, 2, 1}, {ChoiceKind::kSchedule, 3, 0}});
  replay.Choose(Ask(ChoiceKind::kSchedule, 2));
  EXPECT_FALSE(replay.diverged());
  replay.Choose(Ask(ChoiceKind::kSchedule, 4));
  ASSERT_TRUE(replay.diverged());
  EXPECT_NE(replay.divergence().find("choice #2"), std::string::npos) << replay.divergence();
}

TEST(ReplaySource, DetectsRunningPastTheLog) {
  ReplaySource replay({});
  replay.Choose(Ask(ChoiceKind::kSchedule, 2));
  ASSERT_TRUE(replay.diverged());
  EXPECT_NE(replay.divergence().find("only 0 choices"), std::string::npos) << replay.divergence();
}

TEST(RecordingSource, PassesDivergenceThrough) {
  ReplaySource replay({});
  RecordingSource recorder(replay);
  recorder.Choose(Ask(ChoiceKind::kSchedule, 2));
  EXPECT_TRUE(recorder.diverged());
}

}  // namespace
}  // namespace drpc::sim
