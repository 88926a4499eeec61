// Test helpers for the ring and the pool: message contents that name their
// message, so a stale, reused, duplicated or lost buffer is seen by content
// as well as by the ledger.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "drpc/base/bytes.h"

namespace drpc::stream::testing {

// Byte `offset` of message number `index`. The first 4 bytes are the index
// itself (little endian), the rest a pattern that differs between indexes.
inline uint8_t PatternByte(uint32_t index, size_t offset) {
  if (offset < 4) return static_cast<uint8_t>(index >> (8 * offset));
  const uint64_t x = (uint64_t{index} * 0x9E3779B1u) ^ (uint64_t{offset} * 0x85EBCA77u);
  return static_cast<uint8_t>((x >> 13) ^ (x >> 29) ^ offset);
}

inline std::vector<uint8_t> PatternMessage(uint32_t index, size_t size) {
  std::vector<uint8_t> out(size);
  for (size_t i = 0; i < size; ++i) out[i] = PatternByte(index, i);
  return out;
}

// Empty when `bytes` is message `index` of size `size`; else what is wrong.
inline std::string CheckPattern(Bytes bytes, uint32_t index, size_t size, size_t from = 0) {
  if (from == 0 && bytes.size() != size) {
    return "message " + std::to_string(index) + ": size " + std::to_string(bytes.size()) +
           ", expected " + std::to_string(size);
  }
  for (size_t i = from; i < bytes.size(); ++i) {
    if (bytes[i] != PatternByte(index, i)) {
      return "message " + std::to_string(index) + ": byte " + std::to_string(i) + " is " +
             std::to_string(bytes[i]) + ", expected " + std::to_string(PatternByte(index, i));
    }
  }
  return "";
}

}  // namespace drpc::stream::testing
