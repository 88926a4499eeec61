// Error packet data (drpc-protocol.md §1.9; error_test.go ideas).
#include "drpc/wire/error_payload.h"

#include <gtest/gtest.h>

#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Hex;
using testing::ToHex;
using testing::View;

TEST(WireErrorPayload, EncodesExampleE5) {
  Buffer out;
  EncodeErrorPayload(out, 12, "nope");
  EXPECT_EQ(ToHex(out.view()), "00 00 00 00 00 00 00 0c 6e 6f 70 65");
}

TEST(WireErrorPayload, CodeIsBigEndian) {
  Buffer out;
  EncodeErrorPayload(out, 0x0102030405060708, "");
  EXPECT_EQ(ToHex(out.view()), "01 02 03 04 05 06 07 08");
  const ErrorPayload max = DecodeErrorPayload(View(Hex("ff ff ff ff ff ff ff ff 21")));
  EXPECT_EQ(max.code, UINT64_MAX);
  EXPECT_EQ(max.text, "!");
}

TEST(WireErrorPayload, KeepsCodeAndText) {
  Buffer out;
  EncodeErrorPayload(out, 5, "some text: with \x01 odd bytes");
  const ErrorPayload payload = DecodeErrorPayload(out.view());
  EXPECT_EQ(payload.code, 5u);
  EXPECT_EQ(payload.text, "some text: with \x01 odd bytes");
}

TEST(WireErrorPayload, CodeZeroMeansNoCode) {
  const ErrorPayload payload = DecodeErrorPayload(View(Hex("00 00 00 00 00 00 00 00 6f 6b")));
  EXPECT_EQ(payload.code, 0u);
  EXPECT_EQ(payload.text, "ok");
}

TEST(WireErrorPayload, ShortDataBecomesTextWithANote) {
  const ErrorPayload payload = DecodeErrorPayload(AsBytes("abc"));
  EXPECT_EQ(payload.code, 0u);
  EXPECT_EQ(payload.text, "abc (drpcwire note: invalid error data)");
  const ErrorPayload seven = DecodeErrorPayload(View(Hex("00 00 00 00 00 00 07")));
  EXPECT_EQ(seven.code, 0u);
  EXPECT_EQ(seven.text, std::string(6, '\0') + "\x07" + " (drpcwire note: invalid error data)");
  EXPECT_EQ(DecodeErrorPayload(Bytes{}).text, " (drpcwire note: invalid error data)");
}

TEST(WireErrorPayload, ExactlyEightBytesIsACodeWithEmptyText) {
  const ErrorPayload payload = DecodeErrorPayload(View(Hex("00 00 00 00 00 00 00 0c")));
  EXPECT_EQ(payload.code, 12u);
  EXPECT_EQ(payload.text, "");
}

}  // namespace
}  // namespace drpc::wire
