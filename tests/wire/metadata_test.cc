// InvokeMetadata payload (drpc-protocol.md §1.10): the Go byte vector, the
// hand-written encoder's choices, and the decoder's strictness.
#include "drpc/wire/metadata.h"

#include <gtest/gtest.h>

#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Concat;
using testing::Hex;
using testing::Repeat;
using testing::ToHex;
using testing::View;

std::string Encode(const Metadata& metadata) {
  Buffer out;
  EncodeMetadata(out, metadata);
  return ToHex(out.view());
}

Status DecodeError(const std::vector<uint8_t>& bytes) {
  Result<Metadata> decoded = DecodeMetadata(View(bytes));
  EXPECT_FALSE(decoded.ok()) << "decoded " << decoded->size() << " entries from "
                             << ToHex(View(bytes));
  return decoded.status();
}

TEST(WireMetadata, GoCompatibilityVector) {
  EXPECT_EQ(Encode({{"key", "value"}}), "0a 0c 0a 03 6b 65 79 12 05 76 61 6c 75 65");
  Result<Metadata> decoded = DecodeMetadata(View(Hex("0a 0c 0a 03 6b 65 79 12 05 76 61 6c 75 65")));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, (Metadata{{"key", "value"}}));
}

TEST(WireMetadata, EmptyMapIsNoBytes) {
  EXPECT_EQ(Encode({}), "");
  Result<Metadata> decoded = DecodeMetadata(Bytes{});
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(WireMetadata, EmptyKeyAndValueAreStillWritten) {
  EXPECT_EQ(Encode({{"", ""}}), "0a 04 0a 00 12 00");
  EXPECT_EQ(Encode({{"k", ""}}), "0a 05 0a 01 6b 12 00");
  Result<Metadata> decoded = DecodeMetadata(View(Hex("0a 04 0a 00 12 00")));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, (Metadata{{"", ""}}));
}

TEST(WireMetadata, EntriesAreWrittenSortedByKey) {
  EXPECT_EQ(Encode({{"b", "2"}, {"a", "1"}}), "0a 06 0a 01 61 12 01 31 0a 06 0a 01 62 12 01 32");
}

TEST(WireMetadata, LongFieldsUseMultiByteLengths) {
  const Metadata metadata{{"k", std::string(300, 'v')}};
  Buffer out;
  EncodeMetadata(out, metadata);
  // entry length = (1+1+1) + (1+2+300) = 306 = b2 02; value length 300 = ac 02.
  EXPECT_EQ(ToHex(out.view().first(9)), "0a b2 02 0a 01 6b 12 ac 02");
  Result<Metadata> decoded = DecodeMetadata(out.view());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, metadata);
}

TEST(WireMetadata, DuplicateKeyKeepsTheLastValue) {
  Result<Metadata> decoded =
      DecodeMetadata(View(Hex("0a 06 0a 01 61 12 01 31  0a 06 0a 01 61 12 01 32")));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, (Metadata{{"a", "2"}}));
}

TEST(WireMetadata, OrderOfEntriesDoesNotMatter) {
  Result<Metadata> decoded =
      DecodeMetadata(View(Hex("0a 06 0a 01 62 12 01 32  0a 06 0a 01 61 12 01 31")));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, (Metadata{{"a", "1"}, {"b", "2"}}));
}

TEST(WireMetadata, TopLevelTagMustBeTheEntryTag) {
  const Status err = DecodeError(Hex("12 04 0a 00 12 00"));
  EXPECT_EQ(err, ProtocolError("invalid metadata: unexpected tag where the entry belongs"));
  // A valid entry followed by a stray field 2.
  EXPECT_EQ(DecodeError(Hex("0a 04 0a 00 12 00  12 00")).kind(), ErrorKind::kProtocol);
}

TEST(WireMetadata, KeyMustComeFirstThenTheValueAndNothingElse) {
  EXPECT_EQ(DecodeError(Hex("0a 04 12 00 0a 00")),
            ProtocolError("invalid metadata: unexpected tag where the key belongs"));
  EXPECT_EQ(DecodeError(Hex("0a 02 0a 00")), ProtocolError("invalid metadata: value missing"));
  EXPECT_EQ(DecodeError(Hex("0a 00")), ProtocolError("invalid metadata: key missing"));
  EXPECT_EQ(DecodeError(Hex("0a 04 0a 00 0a 00")),
            ProtocolError("invalid metadata: unexpected tag where the value belongs"));
  EXPECT_EQ(DecodeError(Hex("0a 06 0a 00 12 00 1a 00")),
            ProtocolError("invalid metadata: extra bytes after the value of an entry"));
}

TEST(WireMetadata, TruncatedAndOverlongLengthsAreErrors) {
  EXPECT_EQ(DecodeError(Hex("0a")), ProtocolError("invalid metadata: entry length truncated"));
  EXPECT_EQ(DecodeError(Hex("0a 80")), ProtocolError("invalid metadata: entry length truncated"));
  EXPECT_EQ(DecodeError(Hex("0a 05 0a 00 12 00")),
            ProtocolError("invalid metadata: entry length exceeds the data"));
  EXPECT_EQ(DecodeError(Hex("0a 04 0a 05 12 00")),
            ProtocolError("invalid metadata: key length exceeds the data"));
  EXPECT_EQ(DecodeError(Hex("0a 04 0a 00 12 01")),
            ProtocolError("invalid metadata: value length exceeds the data"));
  EXPECT_EQ(DecodeError(Concat({Hex("0a"), Repeat(0xff, 10), Hex("01")})),
            ProtocolError("invalid metadata: entry length varint too long"));
  // A length of 2^63 must be compared, not allocated.
  EXPECT_EQ(DecodeError(Concat({Hex("0a"), Repeat(0x80, 9), Hex("01")})),
            ProtocolError("invalid metadata: entry length exceeds the data"));
}

TEST(WireMetadata, NonMinimalLengthsAreAccepted) {
  // Go's varint reader accepts them, so the strict decoder does too.
  Result<Metadata> decoded = DecodeMetadata(View(Hex("0a 85 00 0a 00 12 01 7a")));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, (Metadata{{"", "z"}}));
}

TEST(WireMetadata, BothCaptureOrdersOfUnaryMetadata2DecodeTheSame) {
  // Go writes map order, which varies run to run: the capture has
  // authorization first; about a quarter of runs had x-request-id first.
  const std::vector<uint8_t> authorization =
      Hex("0a 1d 0a 0d 61 75 74 68 6f 72 69 7a 61 74 69 6f 6e 12 0c 42 65 61 72 65 72 20 74 30 6b "
          "33 6e");
  const std::vector<uint8_t> request_id =
      Hex("0a 12 0a 0c 78 2d 72 65 71 75 65 73 74 2d 69 64 12 02 34 32");
  const Metadata expected{{"authorization", "Bearer t0k3n"}, {"x-request-id", "42"}};
  for (const auto& bytes :
       {Concat({authorization, request_id}), Concat({request_id, authorization})}) {
    Result<Metadata> decoded = DecodeMetadata(View(bytes));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, expected);
  }
  // Our encoder writes the sorted order, which is the captured file's order.
  EXPECT_EQ(Encode(expected), ToHex(View(Concat({authorization, request_id}))));
}

}  // namespace
}  // namespace drpc::wire
