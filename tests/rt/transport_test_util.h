// Helpers shared by the transport tests: read loops and a checkable byte
// pattern.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"
#include "drpc/rt/transport.h"

namespace drpc::rt::testing {

// Bytes whose value depends on their offset, so a lost, duplicated or
// reordered chunk changes the content.
inline std::vector<uint8_t> Pattern(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<uint8_t>((i * 131 + (i >> 12)) & 0xff);
  return bytes;
}

// What a reader saw: every byte before the stream ended, and how it ended.
struct Drained {
  std::vector<uint8_t> bytes;
  Status end;
};

// Reads until an error (at most `limit` bytes, then stops with ok).
inline Drained ReadToEnd(Transport& t, size_t limit, size_t chunk = 64 * 1024) {
  Drained out;
  std::vector<uint8_t> buffer(chunk);
  // Each successful Read returns at least one byte, which bounds the loop.
  for (size_t rounds = 0; rounds <= limit; ++rounds) {
    const size_t room = std::min(buffer.size(), limit - out.bytes.size());
    ReadResult r = t.Read(MutableBytes(buffer.data(), room));
    out.bytes.insert(out.bytes.end(), buffer.begin(), buffer.begin() + static_cast<long>(r.n));
    if (!r.err.ok()) {
      out.end = r.err;
      return out;
    }
    if (r.n == 0) {
      out.end = InternalError("Read returned no bytes and no error");
      return out;
    }
    if (out.bytes.size() >= limit) return out;
  }
  out.end = InternalError("read loop bound reached");
  return out;
}

// Reads exactly `n` bytes (or fewer if the stream ends first).
inline std::string ReadExactly(Transport& t, size_t n) {
  Drained d = ReadToEnd(t, n, n);
  return std::string(d.bytes.begin(), d.bytes.end());
}

}  // namespace drpc::rt::testing
