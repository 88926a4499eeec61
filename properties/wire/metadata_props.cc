// Metadata codec against libprotobuf as an independent oracle
// (proto/metadata.proto: drpc.oracle.Metadata, map<string,string> data = 1).
//
// Found with libprotobuf 3.21 (see EmptyKeysAndValuesAsLibprotobufWritesThem):
// its map entries always carry both the key and the value field, even when
// they are empty, which is exactly the form Go's strict decoder requires. So
// DecodeMetadata accepts libprotobuf's bytes for any keys and values, empty
// ones included.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "drpc/wire/metadata.h"
#include "metadata.pb.h"
#include "properties/wire/generators.h"

namespace drpc::wire {
namespace {

using testing::ToHex;

rc::Gen<Metadata> GenUtf8Metadata() {
  return rc::gen::container<Metadata>(props::GenUtf8(), props::GenUtf8());
}

rc::Gen<Metadata> GenNonEmptyUtf8Metadata() {
  return rc::gen::container<Metadata>(rc::gen::nonEmpty(props::GenUtf8()),
                                      rc::gen::nonEmpty(props::GenUtf8()));
}

Metadata FromOracle(const drpc::oracle::Metadata& oracle) {
  return Metadata(oracle.data().begin(), oracle.data().end());
}

std::string OracleBytes(const Metadata& metadata) {
  drpc::oracle::Metadata oracle;
  for (const auto& [key, value] : metadata) (*oracle.mutable_data())[key] = value;
  std::string bytes;
  RC_ASSERT(oracle.SerializeToString(&bytes));
  return bytes;
}

RC_GTEST_PROP(WireMetadataProps, LibprotobufParsesWhatWeEncode, ()) {
  const Metadata metadata = *GenUtf8Metadata();
  Buffer out;
  EncodeMetadata(out, metadata);
  drpc::oracle::Metadata oracle;
  RC_ASSERT(oracle.ParseFromArray(out.data(), static_cast<int>(out.size())));
  RC_ASSERT(FromOracle(oracle) == metadata);
  RC_CLASSIFY(metadata.empty(), "empty map");
}

RC_GTEST_PROP(WireMetadataProps, WeDecodeWhatLibprotobufWrites, ()) {
  const Metadata metadata = *GenNonEmptyUtf8Metadata();
  const std::string bytes = OracleBytes(metadata);
  Result<Metadata> decoded = DecodeMetadata(AsBytes(bytes));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == metadata);
}

RC_GTEST_PROP(WireMetadataProps, WeDecodeWhatLibprotobufWritesWithEmptyStrings, ()) {
  // Empty keys and values included: relies on libprotobuf writing both map
  // entry fields always (checked below).
  const Metadata metadata = *GenUtf8Metadata();
  Result<Metadata> decoded = DecodeMetadata(AsBytes(OracleBytes(metadata)));
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == metadata);
  RC_CLASSIFY(metadata.contains(""), "empty key");
}

RC_GTEST_PROP(WireMetadataProps, ArbitraryBytesRoundTripThroughOurCodec, ()) {
  // Our codec does not care about UTF-8 (Go's does not either).
  const auto metadata = *rc::gen::container<Metadata>(props::GenBytes(), props::GenBytes());
  Buffer out;
  EncodeMetadata(out, metadata);
  Result<Metadata> decoded = DecodeMetadata(out.view());
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == metadata);
}

// Decoding into a recycled map (a server reuses its calls' maps) gives
// exactly what decoding into a new one does, whatever the map held before:
// same entries (none left over from before), same error. Entries are
// written one by one, so keys may repeat (the later value wins).
RC_GTEST_PROP(WireMetadataProps, DecodingIntoARecycledMapIsDecoding, ()) {
  Metadata recycled = *rc::gen::container<Metadata>(props::GenBytes(), props::GenBytes());
  const auto entries = *rc::gen::container<std::vector<std::pair<std::string, std::string>>>(
      rc::gen::pair(rc::gen::elementOf(std::vector<std::string>{"a", "key-longer-than-sso", ""}),
                    props::GenBytes()));
  Buffer bytes;
  for (const auto& [key, value] : entries) EncodeMetadata(bytes, Metadata{{key, value}});
  const size_t cut = *rc::gen::inRange<size_t>(0, bytes.size() + 1);
  const Bytes input = *rc::gen::arbitrary<bool>() ? bytes.view() : bytes.view().first(cut);
  Result<Metadata> fresh = DecodeMetadata(input);
  const Status into = DecodeMetadataInto(input, recycled);
  RC_ASSERT(into.ok() == fresh.ok());
  if (fresh.ok()) RC_ASSERT(recycled == *fresh);
  RC_CLASSIFY(!fresh.ok(), "cut mid-entry");
}

TEST(WireMetadataProps, EmptyKeysAndValuesAsLibprotobufWritesThem) {
  // What libprotobuf writes for an entry with an empty key and value. If a
  // future libprotobuf left the empty fields out, this test says so first
  // (and Go's strict decoder, like ours, would reject its output).
  const std::string bytes = OracleBytes({{"", ""}});
  EXPECT_EQ(ToHex(AsBytes(bytes)), "0a 04 0a 00 12 00");
  const std::string value_only = OracleBytes({{"", "v"}});
  EXPECT_EQ(ToHex(AsBytes(value_only)), "0a 05 0a 00 12 01 76");
  // Libprotobuf accepts entries without the empty fields; Go and we do not.
  drpc::oracle::Metadata oracle;
  const std::vector<uint8_t> minimal = testing::Hex("0a 00");
  ASSERT_TRUE(oracle.ParseFromArray(minimal.data(), static_cast<int>(minimal.size())));
  EXPECT_EQ(FromOracle(oracle), (Metadata{{"", ""}}));
  EXPECT_EQ(DecodeMetadata(testing::View(minimal)).status().kind(), ErrorKind::kProtocol);
}

}  // namespace
}  // namespace drpc::wire
