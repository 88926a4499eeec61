// Unsigned LEB128 varints as the Go drpcwire package reads and writes them
// (drpc-protocol.md §1.2).
//
//   AppendVarint(out, value);
//   VarintParse p = ParseVarint(in);  // kOk with value and size, kNeedMore or kTooLong
//
// The encoder writes the minimal form; the decoder copies Go's edge cases so
// both sides agree on every byte string (docs/wire.md, "Varints").
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/plant.h"

namespace drpc::wire {

// The longest varint the decoder reads; also the longest the encoder writes.
inline constexpr size_t kMaxVarintSize = 10;

enum class VarintStatus : uint8_t {
  kOk,        // `value` and `consumed` are set
  kNeedMore,  // the input ended inside the varint; retry with more bytes
  kTooLong,   // ten bytes with the continuation bit: malformed ("varint too long")
};

struct VarintParse {
  VarintStatus status = VarintStatus::kNeedMore;
  uint64_t value = 0;   // valid when status == kOk
  size_t consumed = 0;  // bytes the varint used, valid when status == kOk
};

// Number of bytes the minimal encoding of `value` takes (1..10).
constexpr size_t VarintSize(uint64_t value) {
  return 1 + (static_cast<size_t>(std::bit_width(value | 1)) - 1) / 7;
}

// Writes the minimal encoding of `value` at `out`, which must have room for
// VarintSize(value) bytes, and returns the position just past it.
inline uint8_t* WriteVarint(uint8_t* out, uint64_t value) {
  while (value >= 0x80) {  // at most 9 rounds: each drops 7 of 64 bits
    *out++ = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<uint8_t>(value);
  return out;
}

// Appends the minimal encoding of `value` to `out`.
void AppendVarint(Buffer& out, uint64_t value);

// Reads one varint from the front of `in`. Never reads past `in`.
inline VarintParse ParseVarint(Bytes in) {
  const size_t limit = in.size() < kMaxVarintSize ? in.size() : kMaxVarintSize;
  uint64_t value = 0;
  for (size_t i = 0; i < limit; ++i) {
    const uint8_t byte = in[i];
    // At i == 9 the shift is 63, so only the low bit of the tenth byte lands
    // in the value: the bits above bit 63 are dropped, as Go does.
    value |= static_cast<uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) return VarintParse{VarintStatus::kOk, value, i + 1};
  }
  if (limit == kMaxVarintSize && DRPC_PLANT(kWireOverlongVarintAccepted))
    return {VarintStatus::kOk, value, limit};
  if (limit == kMaxVarintSize) return VarintParse{VarintStatus::kTooLong, 0, 0};
  return VarintParse{VarintStatus::kNeedMore, 0, 0};
}

}  // namespace drpc::wire
