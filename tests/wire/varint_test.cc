// Varint encoding and Go's decoding edge cases (drpc-protocol.md §1.2; ideas
// of Go's varint_test.go).
#include "drpc/wire/varint.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Concat;
using testing::Hex;
using testing::Repeat;
using testing::ToHex;
using testing::View;

std::string Encode(uint64_t value) {
  Buffer out;
  AppendVarint(out, value);
  return ToHex(out.view());
}

// The minimal length worked out bit by bit, independently of VarintSize.
size_t ExpectedSize(uint64_t value) {
  size_t size = 1;
  while (value >= 128) {
    value /= 128;
    ++size;
  }
  return size;
}

TEST(WireVarint, EncodesTheSpecExamples) {
  EXPECT_EQ(Encode(0), "00");
  EXPECT_EQ(Encode(127), "7f");
  EXPECT_EQ(Encode(128), "80 01");
  EXPECT_EQ(Encode(300), "ac 02");
  EXPECT_EQ(Encode(16384), "80 80 01");
  EXPECT_EQ(Encode(UINT64_MAX), "ff ff ff ff ff ff ff ff ff 01");
}

TEST(WireVarint, RoundTripsAtEverySevenBitBoundary) {
  for (int bits = 0; bits <= 64; ++bits) {
    const uint64_t edge = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits);
    for (uint64_t value : {edge - 1, edge, edge + 1}) {
      Buffer out;
      AppendVarint(out, value);
      ASSERT_EQ(out.size(), ExpectedSize(value)) << value;
      ASSERT_EQ(VarintSize(value), ExpectedSize(value)) << value;
      const VarintParse parsed = ParseVarint(out.view());
      ASSERT_EQ(parsed.status, VarintStatus::kOk) << value;
      EXPECT_EQ(parsed.value, value);
      EXPECT_EQ(parsed.consumed, out.size());
    }
  }
}

TEST(WireVarint, RoundTripsRandomValues) {
  std::mt19937_64 rng(20261126);
  for (int i = 0; i < 10000; ++i) {
    // Spread over all lengths: shift a random value by a random amount.
    const uint64_t value = rng() >> (rng() % 64);
    Buffer out;
    AppendVarint(out, value);
    out.PushBack(0xee);  // a trailing byte must not be consumed
    const VarintParse parsed = ParseVarint(out.view());
    ASSERT_EQ(parsed.status, VarintStatus::kOk);
    ASSERT_EQ(parsed.value, value);
    ASSERT_EQ(parsed.consumed, out.size() - 1);
  }
}

TEST(WireVarint, EveryTruncationNeedsMoreData) {
  for (uint64_t value : {uint64_t{128}, uint64_t{300}, uint64_t{1} << 35, UINT64_MAX}) {
    Buffer out;
    AppendVarint(out, value);
    for (size_t cut = 0; cut < out.size(); ++cut) {
      EXPECT_EQ(ParseVarint(out.view().first(cut)).status, VarintStatus::kNeedMore)
          << value << " cut at " << cut;
    }
  }
}

TEST(WireVarint, NineContinuationBytesStillNeedMore) {
  EXPECT_EQ(ParseVarint(View(Repeat(0xff, 9))).status, VarintStatus::kNeedMore);
}

TEST(WireVarint, TenContinuationBytesAreTooLong) {
  EXPECT_EQ(ParseVarint(View(Repeat(0xff, 10))).status, VarintStatus::kTooLong);
  EXPECT_EQ(ParseVarint(View(Repeat(0x80, 10))).status, VarintStatus::kTooLong);
  // An 11-byte varint is rejected at its tenth byte.
  EXPECT_EQ(ParseVarint(View(Concat({Repeat(0xff, 10), Hex("01")}))).status,
            VarintStatus::kTooLong);
}

TEST(WireVarint, TenthByteDropsBitsAboveSixtyThree) {
  const VarintParse all_ones = ParseVarint(View(Concat({Repeat(0xff, 9), Hex("7f")})));
  ASSERT_EQ(all_ones.status, VarintStatus::kOk);
  EXPECT_EQ(all_ones.value, UINT64_MAX);
  EXPECT_EQ(all_ones.consumed, 10u);
  // 0x02 in the tenth byte is bit 64: dropped entirely.
  const VarintParse dropped = ParseVarint(View(Concat({Repeat(0x80, 9), Hex("02")})));
  ASSERT_EQ(dropped.status, VarintStatus::kOk);
  EXPECT_EQ(dropped.value, 0u);
  EXPECT_EQ(dropped.consumed, 10u);
  const VarintParse top_bit = ParseVarint(View(Concat({Repeat(0x80, 9), Hex("01")})));
  EXPECT_EQ(top_bit.value, uint64_t{1} << 63);
}

TEST(WireVarint, AcceptsNonMinimalForms) {
  const VarintParse zero = ParseVarint(View(Hex("80 00")));
  ASSERT_EQ(zero.status, VarintStatus::kOk);
  EXPECT_EQ(zero.value, 0u);
  EXPECT_EQ(zero.consumed, 2u);
  const VarintParse padded = ParseVarint(View(Hex("ff 80 80 00")));
  ASSERT_EQ(padded.status, VarintStatus::kOk);
  EXPECT_EQ(padded.value, 127u);
  EXPECT_EQ(padded.consumed, 4u);
}

TEST(WireVarint, NeverReadsPastTheSpan) {
  // The byte after the span would finish the varint; the parser must not see it.
  const std::vector<uint8_t> bytes = Hex("80 01");
  EXPECT_EQ(ParseVarint(View(bytes).first(1)).status, VarintStatus::kNeedMore);
  EXPECT_EQ(ParseVarint(Bytes()).status, VarintStatus::kNeedMore);
}

}  // namespace
}  // namespace drpc::wire
