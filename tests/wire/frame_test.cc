// Frame encoding and parsing: every worked example of drpc-protocol.md §1.11
// byte for byte, the parse edge cases, unknown kinds, and Go's 1000 random
// frames round trip (packet_test.go).
#include "drpc/wire/frame.h"

#include <gtest/gtest.h>

#include <random>

#include "drpc/wire/kind.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Concat;
using testing::F;
using testing::FrameCopy;
using testing::Hex;
using testing::Repeat;
using testing::ToHex;
using testing::View;

std::string Bin(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

struct Example {
  const char* name;
  FrameCopy frame;
  std::vector<uint8_t> bytes;
};

// The table of §1.11, fields written from its "meaning" column.
std::vector<Example> Examples() {
  const std::vector<uint8_t> max_id = Concat({Repeat(0xff, 9), Hex("01")});
  return {
      {"E1", F(kInvoke, 1, 1, true, "/svc/Method"),
       Hex("03 01 01 0b 2f 73 76 63 2f 4d 65 74 68 6f 64")},
      {"E2", F(kMessage, 1, 2, true, Bin({0x0a, 0x03}) + "foo"), Hex("05 01 02 05 0a 03 66 6f 6f")},
      {"E3", F(kCloseSend, 1, 3, true), Hex("0d 01 03 00")},
      {"E4",
       F(kInvokeMetadata, 1, 1, true,
         Bin({0x0a, 0x0c, 0x0a, 0x03}) + "key" + Bin({0x12, 0x05}) + "value"),
       Hex("0f 01 01 0e 0a 0c 0a 03 6b 65 79 12 05 76 61 6c 75 65")},
      {"E4b", F(kInvoke, 1, 2, true, "/svc/Method"),
       Hex("03 01 02 0b 2f 73 76 63 2f 4d 65 74 68 6f 64")},
      {"E5", F(kError, 1, 4, true, Bin({0, 0, 0, 0, 0, 0, 0, 12}) + "nope"),
       Hex("07 01 04 0c 00 00 00 00 00 00 00 0c 6e 6f 70 65")},
      {"E6", F(kCancel, 300, 5, true, "", /*control=*/true), Hex("89 ac 02 05 00")},
      {"E7", F(kClose, 1, 4, true), Hex("0b 01 04 00")},
      {"E8a", F(kMessage, 1, 2, false, "hello"), Hex("04 01 02 05 68 65 6c 6c 6f")},
      {"E8b", F(kMessage, 1, 2, false, " worl"), Hex("04 01 02 05 20 77 6f 72 6c")},
      {"E8c", F(kMessage, 1, 2, true, "d"), Hex("05 01 02 01 64")},
      {"E9", F(kWindowUpdate, 1, 0, true, Bin({0x80, 0x80, 0x04}), /*control=*/true),
       Hex("91 01 00 03 80 80 04")},
      {"E10", F(0, 0, 0, false), Hex("00 00 00 00")},
      {"E11", F(kInvokeMetadata, UINT64_MAX, UINT64_MAX, true, "foo", /*control=*/true),
       Concat({Hex("8f"), max_id, max_id, Hex("03 66 6f 6f")})},
  };
}

TEST(WireFrame, EncodesEveryWorkedExample) {
  for (const Example& example : Examples()) {
    Buffer out;
    AppendFrame(out, example.frame.view());
    EXPECT_EQ(ToHex(out.view()), ToHex(View(example.bytes))) << example.name;
    EXPECT_EQ(EncodedFrameSize(example.frame.view()), example.bytes.size()) << example.name;
  }
}

TEST(WireFrame, ParsesEveryWorkedExample) {
  for (const Example& example : Examples()) {
    const FrameParse parsed = ParseFrame(View(example.bytes));
    ASSERT_EQ(parsed.status, ParseStatus::kOk) << example.name;
    EXPECT_EQ(FrameCopy::Of(parsed.frame), example.frame) << example.name;
    EXPECT_EQ(parsed.consumed, example.bytes.size()) << example.name;
  }
}

TEST(WireFrame, WindowUpdateDataIsOneVarint) {
  const std::vector<uint8_t> bytes = Hex("91 01 00 03 80 80 04");
  const FrameParse parsed = ParseFrame(View(bytes));
  ASSERT_EQ(parsed.status, ParseStatus::kOk);
  const VarintParse delta = ParseVarint(parsed.frame.data);
  ASSERT_EQ(delta.status, VarintStatus::kOk);
  EXPECT_EQ(delta.value, 65536u);
  EXPECT_EQ(delta.consumed, parsed.frame.data.size());
}

TEST(WireFrame, ParsedDataAliasesTheInput) {
  const std::vector<uint8_t> bytes = Hex("05 01 02 05 0a 03 66 6f 6f");
  const FrameParse parsed = ParseFrame(View(bytes));
  ASSERT_EQ(parsed.status, ParseStatus::kOk);
  EXPECT_EQ(parsed.frame.data.data(), bytes.data() + 4);
}

TEST(WireFrame, ParseEdgeCasesFromTheSpec) {
  EXPECT_EQ(ParseFrame(View(Hex("05 01 01"))).status, ParseStatus::kNeedMore);
  EXPECT_EQ(ParseFrame(View(Hex("05 01 01 05 61"))).status, ParseStatus::kNeedMore);
  const FrameParse too_long = ParseFrame(View(Concat({Hex("05"), Repeat(0xff, 10), Hex("01")})));
  EXPECT_EQ(too_long.status, ParseStatus::kMalformed);
  EXPECT_EQ(too_long.error, "varint too long");
  const Status status = MalformedFrameError(too_long.error);
  EXPECT_EQ(status.kind(), ErrorKind::kProtocol);
  EXPECT_EQ(status.message(), "varint too long");
}

TEST(WireFrame, OverLongVarintInEachFieldIsMalformed) {
  const std::vector<uint8_t> eleven = Concat({Repeat(0x80, 10), Hex("00")});
  for (int field = 0; field < 3; ++field) {
    std::vector<uint8_t> bytes = Hex("05");
    for (int i = 0; i < 3; ++i) bytes = Concat({bytes, i == field ? eleven : Hex("01")});
    EXPECT_EQ(ParseFrame(View(bytes)).status, ParseStatus::kMalformed) << "field " << field;
    EXPECT_EQ(ParseFrameHeader(View(bytes)).status, ParseStatus::kMalformed) << "field " << field;
  }
}

TEST(WireFrame, EveryStrictPrefixNeedsMore) {
  for (const Example& example : Examples()) {
    for (size_t cut = 0; cut < example.bytes.size(); ++cut) {
      EXPECT_EQ(ParseFrame(View(example.bytes).first(cut)).status, ParseStatus::kNeedMore)
          << example.name << " cut at " << cut;
    }
  }
}

TEST(WireFrame, ConsumesOnlyTheFirstFrame) {
  const std::vector<uint8_t> bytes = Hex("0d 01 03 00 0b 01 04 00");
  const FrameParse parsed = ParseFrame(View(bytes));
  ASSERT_EQ(parsed.status, ParseStatus::kOk);
  EXPECT_EQ(parsed.consumed, 4u);
  EXPECT_EQ(FrameCopy::Of(parsed.frame), F(kCloseSend, 1, 3, true));
}

TEST(WireFrame, HugeDeclaredLengthNeedsMoreWithoutOverflow) {
  // L = 2^63 and L = 2^64-1: compared with the bytes present, never added up.
  for (const auto& length :
       {Concat({Repeat(0x80, 9), Hex("01")}), Concat({Repeat(0xff, 9), Hex("01")})}) {
    const std::vector<uint8_t> bytes = Concat({Hex("05 01 01"), length, Hex("61 62")});
    const HeaderParse head = ParseFrameHeader(View(bytes));
    ASSERT_EQ(head.status, ParseStatus::kOk);
    EXPECT_GE(head.header.data_size, uint64_t{1} << 63);
    EXPECT_EQ(head.header.header_size, 13u);
    EXPECT_EQ(ParseFrame(View(bytes)).status, ParseStatus::kNeedMore);
  }
}

TEST(WireFrame, HeaderIsKnownBeforeTheData) {
  const HeaderParse head = ParseFrameHeader(View(Hex("05 07 09 80 01")));
  ASSERT_EQ(head.status, ParseStatus::kOk);
  EXPECT_EQ(head.header.kind, kMessage);
  EXPECT_TRUE(head.header.done);
  EXPECT_FALSE(head.header.control);
  EXPECT_EQ(head.header.stream_id, 7u);
  EXPECT_EQ(head.header.message_id, 9u);
  EXPECT_EQ(head.header.data_size, 128u);
  EXPECT_EQ(head.header.header_size, 5u);
}

TEST(WireFrame, UnknownKindsParseWithAndWithoutControl) {
  // 0x12: kind 9, no control, not done. 0x93: kind 9, control, done.
  // 0x7e: kind 63. 0xff: kind 63, control, done. 0x80: kind 0 with control.
  const struct {
    const char* hex;
    FrameCopy frame;
  } cases[] = {
      {"12 01 01 01 78", F(9, 1, 1, false, "x")},   {"93 01 01 00", F(9, 1, 1, true, "", true)},
      {"7e 02 03 00", F(63, 2, 3, false)},          {"ff 02 03 00", F(63, 2, 3, true, "", true)},
      {"80 01 01 00", F(0, 1, 1, false, "", true)},
  };
  for (const auto& c : cases) {
    const std::vector<uint8_t> bytes = Hex(c.hex);
    const FrameParse parsed = ParseFrame(View(bytes));
    ASSERT_EQ(parsed.status, ParseStatus::kOk) << c.hex;
    EXPECT_EQ(FrameCopy::Of(parsed.frame), c.frame) << c.hex;
    Buffer out;
    AppendFrame(out, c.frame.view());
    EXPECT_EQ(ToHex(out.view()), ToHex(View(Hex(c.hex))));
  }
}

TEST(WireFrame, RandomFramesRoundTripAndUseAllBytes) {
  std::mt19937_64 rng(4242);
  for (int i = 0; i < 1000; ++i) {
    FrameCopy frame;
    frame.stream_id = rng() >> (rng() % 64);
    frame.message_id = rng() >> (rng() % 64);
    frame.kind = static_cast<uint8_t>(rng() % 64);
    frame.done = rng() % 2 == 0;
    frame.control = rng() % 2 == 0;
    frame.data.resize(rng() % 300);
    for (char& c : frame.data) c = static_cast<char>(rng());
    Buffer out;
    AppendFrame(out, frame.view());
    const FrameParse parsed = ParseFrame(out.view());
    ASSERT_EQ(parsed.status, ParseStatus::kOk);
    ASSERT_EQ(FrameCopy::Of(parsed.frame), frame);
    ASSERT_EQ(parsed.consumed, out.size());
  }
}

TEST(WireFrame, FrameEqualityComparesDataBytes) {
  const std::string a = "abc";
  const std::string b = "abc";
  Frame x = F(kMessage, 1, 1, true).view();
  Frame y = x;
  x.data = AsBytes(a);
  y.data = AsBytes(b);
  EXPECT_TRUE(x == y);
  y.data = y.data.first(2);
  EXPECT_FALSE(x == y);
  y = x;
  y.control = true;
  EXPECT_FALSE(x == y);
}

TEST(WireFrameDeathTest, KindAboveSixtyThreeIsABug) {
  Buffer out;
  Frame frame;
  frame.kind = 64;
  EXPECT_DEATH(AppendFrame(out, frame), "6 bits");
}

TEST(WireKind, NamesAndKnownKinds) {
  EXPECT_EQ(KindName(kInvoke), "Invoke");
  EXPECT_EQ(KindName(kInvokeMetadata), "InvokeMetadata");
  EXPECT_EQ(KindName(kWindowUpdate), "WindowUpdate");
  EXPECT_EQ(KindName(0), "Unknown");
  EXPECT_EQ(KindName(63), "Unknown");
  EXPECT_FALSE(IsKnownKind(0));
  for (uint8_t kind = 1; kind <= 7; ++kind) EXPECT_TRUE(IsKnownKind(kind)) << int{kind};
  // WindowUpdate is reserved for the flow-control era: unknown in the seed era.
  for (uint8_t kind = 8; kind <= 63; ++kind) EXPECT_FALSE(IsKnownKind(kind)) << int{kind};
}

TEST(WireKind, StreamLayerClassification) {
  for (uint8_t kind = 1; kind <= 7; ++kind) {
    EXPECT_EQ(ClassifyKind(kind, false), KindDisposition::kHandle);
    EXPECT_EQ(ClassifyKind(kind, true), KindDisposition::kHandle);
  }
  EXPECT_EQ(ClassifyKind(0, false), KindDisposition::kReject);
  EXPECT_EQ(ClassifyKind(0, true), KindDisposition::kIgnore);
  EXPECT_EQ(ClassifyKind(kWindowUpdate, true), KindDisposition::kIgnore);
  EXPECT_EQ(ClassifyKind(kWindowUpdate, false), KindDisposition::kReject);
  EXPECT_EQ(ClassifyKind(63, true), KindDisposition::kIgnore);
  EXPECT_EQ(ClassifyKind(63, false), KindDisposition::kReject);
  const Status error = UnknownKindError(9);
  EXPECT_EQ(error.kind(), ErrorKind::kInternal);
  EXPECT_EQ(error.message(), "unknown packet kind 9");
}

}  // namespace
}  // namespace drpc::wire
