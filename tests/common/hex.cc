#include "tests/common/hex.h"

#include <gtest/gtest.h>

namespace drpc::testing {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsSeparator(char c) {
  // A space, a line break, or either byte of the UTF-8 "·" (c2 b7).
  const auto byte = static_cast<unsigned char>(c);
  return c == ' ' || c == '\n' || c == '\r' || c == '\t' || byte == 0xc2 || byte == 0xb7;
}

}  // namespace

std::vector<uint8_t> Hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    const int digit = HexDigit(c);
    if (digit < 0) {
      EXPECT_TRUE(IsSeparator(c)) << "bad character in hex: " << c;
      EXPECT_EQ(high, -1) << "odd hex digit before a separator";
      continue;
    }
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<uint8_t>(high * 16 + digit));
      high = -1;
    }
  }
  EXPECT_EQ(high, -1) << "odd number of hex digits";
  return out;
}

std::string ToHex(Bytes bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

}  // namespace drpc::testing
