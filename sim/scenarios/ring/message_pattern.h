// Message contents that name their message, so a stale, reused, duplicated
// or lost buffer is seen by content as well as by the ledger. The ring
// harness (ring_harness.cc) fills and checks its messages with them, and so
// do the ring and pool tests (tests/stream, properties/stream). Header-only:
// the OS-backend tests use it without linking the harness, which is built
// on the simulator backend.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "drpc/base/bytes.h"

namespace drpc::sim::ring {

// A fixed pseudo-random table, so a pattern byte costs one load (the
// simulated runs check every byte of every message).
inline const std::array<uint8_t, 4096>& PatternTable() {
  static const std::array<uint8_t, 4096> table = [] {
    std::array<uint8_t, 4096> t{};
    uint64_t x = 0x9E3779B97F4A7C15ULL;  // xorshift64
    for (uint8_t& b : t) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      b = static_cast<uint8_t>(x >> 29);
    }
    return t;
  }();
  return table;
}

// Byte `offset` of message number `index`. The first 4 bytes are the index
// itself (little endian); the rest is the table, rotated by an amount that
// depends on the index (messages i and j differ unless i = j mod 4096), so
// filling and checking are runs of memcpy and memcmp.
inline constexpr size_t kPatternRotation = 1031;
inline size_t PatternStart(uint32_t index) { return size_t{index} * kPatternRotation; }
inline uint8_t PatternByte(uint32_t index, size_t offset) {
  if (offset < 4) return static_cast<uint8_t>(index >> (8 * offset));
  return PatternTable()[(offset + PatternStart(index)) & 4095];
}

// Calls fn(offset, table piece) for the pattern bytes [from, to), from >= 4,
// in pieces that do not wrap around the table.
template <class Fn>
void ForEachPatternPiece(uint32_t index, size_t from, size_t to, Fn fn) {
  const std::array<uint8_t, 4096>& table = PatternTable();
  while (from < to) {
    const size_t at = (from + PatternStart(index)) & 4095;
    const size_t n = std::min(to - from, table.size() - at);
    if (!fn(from, table.data() + at, n)) return;
    from += n;
  }
}

inline void FillPattern(uint32_t index, uint8_t* out, size_t size) {
  for (size_t i = 0; i < size && i < 4; ++i) out[i] = PatternByte(index, i);
  ForEachPatternPiece(index, 4, size, [&](size_t at, const uint8_t* piece, size_t n) {
    std::memcpy(out + at, piece, n);
    return true;
  });
}

inline std::vector<uint8_t> PatternMessage(uint32_t index, size_t size) {
  std::vector<uint8_t> out(size);
  FillPattern(index, out.data(), size);
  return out;
}

// The first offset in [from, to) where `bytes` is not message `index`, or
// `to` when they all match.
inline size_t FirstPatternMismatch(Bytes bytes, uint32_t index, size_t from, size_t to) {
  for (; from < to && from < 4; ++from) {
    if (bytes[from] != PatternByte(index, from)) return from;
  }
  size_t mismatch = to;
  ForEachPatternPiece(index, from, to, [&](size_t at, const uint8_t* piece, size_t n) {
    if (std::memcmp(bytes.data() + at, piece, n) == 0) return true;
    for (size_t i = 0; i < n; ++i) {
      if (bytes[at + i] != piece[i]) {
        mismatch = at + i;
        break;
      }
    }
    return false;
  });
  return mismatch;
}

// Empty when `bytes` is message `index` of size `size`; else what is wrong.
inline std::string CheckPattern(Bytes bytes, uint32_t index, size_t size) {
  if (bytes.size() != size) {
    return "message " + std::to_string(index) + ": size " + std::to_string(bytes.size()) +
           ", expected " + std::to_string(size);
  }
  const size_t bad = FirstPatternMismatch(bytes, index, 0, size);
  if (bad == size) return "";
  return "message " + std::to_string(index) + ": byte " + std::to_string(bad) + " is " +
         std::to_string(bytes[bad]) + ", expected " + std::to_string(PatternByte(index, bad));
}

}  // namespace drpc::sim::ring
