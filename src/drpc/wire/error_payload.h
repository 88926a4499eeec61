// The data of an Error packet (drpc-protocol.md §1.9): an 8-byte big-endian
// code, then the error text exactly as sent. Code 0 means "no code".
//
//   Buffer data;
//   EncodeErrorPayload(data, 14, "drpc: server is stopping");
//   ErrorPayload e = DecodeErrorPayload(data.view());  // e.code == 14
//
// See docs/wire.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"

namespace drpc::wire {

inline constexpr size_t kErrorCodeSize = 8;
// Appended to the text of error data too short to hold a code (Go's wording).
inline constexpr std::string_view kInvalidErrorDataNote = " (drpcwire note: invalid error data)";

// Appends the code and the text to `out`.
void EncodeErrorPayload(Buffer& out, uint64_t code, std::string_view text);

struct ErrorPayload {
  uint64_t code = 0;  // 0: no code (also when the data was too short)
  std::string text;
};

// Never fails: data shorter than 8 bytes becomes its own text plus
// kInvalidErrorDataNote, with no code, as Go does.
ErrorPayload DecodeErrorPayload(Bytes data);

}  // namespace drpc::wire
