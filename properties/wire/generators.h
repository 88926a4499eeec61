// RapidCheck generators for wire properties: frames with edge-heavy ids and
// kinds, UTF-8 strings for the protobuf oracle.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <string>

#include "tests/wire/wire_testing.h"

namespace drpc::wire::props {

// Ids: small ones, varint length edges, and anything.
inline rc::Gen<uint64_t> GenId() {
  return rc::gen::oneOf(rc::gen::inRange<uint64_t>(0, 300),
                        rc::gen::element<uint64_t>(127, 128, 16383, 16384, uint64_t{1} << 63,
                                                   UINT64_MAX - 1, UINT64_MAX),
                        rc::gen::arbitrary<uint64_t>());
}

inline rc::Gen<std::string> GenBytes() { return rc::gen::arbitrary<std::string>(); }

// Any frame the 6-bit kind field can carry.
inline rc::Gen<testing::FrameCopy> GenFrame() {
  return rc::gen::build<testing::FrameCopy>(
      rc::gen::set(&testing::FrameCopy::stream_id, GenId()),
      rc::gen::set(&testing::FrameCopy::message_id, GenId()),
      rc::gen::set(&testing::FrameCopy::kind, rc::gen::inRange<uint8_t>(0, 64)),
      rc::gen::set(&testing::FrameCopy::done, rc::gen::arbitrary<bool>()),
      rc::gen::set(&testing::FrameCopy::control, rc::gen::arbitrary<bool>()),
      rc::gen::set(&testing::FrameCopy::data, GenBytes()));
}

// Appends the UTF-8 encoding of a code point (no surrogates).
inline void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

// Valid UTF-8 (proto3 string fields must be), mostly ASCII.
inline rc::Gen<std::string> GenUtf8() {
  const auto code_point = rc::gen::weightedOneOf<uint32_t>({
      {6, rc::gen::inRange<uint32_t>(0x20, 0x7f)},
      {1, rc::gen::inRange<uint32_t>(0x00, 0x20)},
      {1, rc::gen::inRange<uint32_t>(0x80, 0x800)},
      {1, rc::gen::inRange<uint32_t>(0x800, 0xd800)},
      {1, rc::gen::inRange<uint32_t>(0xe000, 0x10000)},
      {1, rc::gen::inRange<uint32_t>(0x10000, 0x110000)},
  });
  return rc::gen::map(rc::gen::container<std::vector<uint32_t>>(code_point),
                      [](const std::vector<uint32_t>& cps) {
                        std::string out;
                        for (uint32_t cp : cps) AppendUtf8(out, cp);
                        return out;
                      });
}

}  // namespace drpc::wire::props
