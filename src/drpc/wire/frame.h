// wire::Frame: one DRPC frame, and its byte layout (drpc-protocol.md §1.3):
//
//   byte 0   header: bit 0 done, bits 1..6 kind, bit 7 control
//   varint   stream id
//   varint   message id
//   varint   data length L
//   L bytes  data
//
// ParseFrame() reads from a byte span and never reads past it; a declared
// length is only compared with the bytes present, nothing is allocated for
// it. See docs/wire.md.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/status.h"
#include "drpc/wire/varint.h"

namespace drpc::wire {

struct Frame {
  uint64_t stream_id = 0;
  uint64_t message_id = 0;
  uint8_t kind = 0;      // raw 6-bit kind (0..63), so unknown kinds survive parsing
  bool done = false;     // last frame of its packet
  bool control = false;  // an older peer may ignore this packet if it does not know the kind
  Bytes data;            // a view; for parsed frames it aliases the parsed bytes

  // Equal fields and equal data bytes (not the same data pointer).
  friend bool operator==(const Frame& a, const Frame& b) {
    return a.stream_id == b.stream_id && a.message_id == b.message_id && a.kind == b.kind &&
           a.done == b.done && a.control == b.control && std::ranges::equal(a.data, b.data);
  }
};

// Header bits.
inline constexpr uint8_t kDoneBit = 0x01;
inline constexpr uint8_t kControlBit = 0x80;
inline constexpr int kKindShift = 1;
inline constexpr uint8_t kKindMask = 0x3f;

// The most bytes a frame adds to its data: the header byte and three varints.
inline constexpr size_t kMaxFrameOverhead = 1 + 3 * kMaxVarintSize;
// The smallest frame: header byte and three one-byte varints (`00 00 00 00`).
inline constexpr size_t kMinFrameSize = 4;

// Bytes AppendFrame() writes for `frame`.
size_t EncodedFrameSize(const Frame& frame);

// Appends the encoding of `frame` (minimal varints). frame.kind must be <= 63.
void AppendFrame(Buffer& out, const Frame& frame);

enum class ParseStatus : uint8_t {
  kOk,         // a complete frame (or header) was parsed
  kNeedMore,   // the input ends inside the frame; retry with more bytes
  kMalformed,  // the bytes can never become a frame (only an over-long varint)
};

// The fixed part of a frame, everything but the data bytes.
struct FrameHeader {
  uint64_t stream_id = 0;
  uint64_t message_id = 0;
  uint64_t data_size = 0;  // declared L: not yet checked against anything
  uint8_t kind = 0;
  bool done = false;
  bool control = false;
  size_t header_size = 0;  // bytes of header byte + three varints
};

struct HeaderParse {
  ParseStatus status = ParseStatus::kNeedMore;
  FrameHeader header;      // valid when status == kOk
  std::string_view error;  // static text when status == kMalformed
};

// Parses the header byte and the three varints at the front of `in`. Lets a
// reader see a declared length before any data arrives.
HeaderParse ParseFrameHeader(Bytes in);

struct FrameParse {
  ParseStatus status = ParseStatus::kNeedMore;
  Frame frame;             // valid when status == kOk; frame.data aliases `in`
  size_t consumed = 0;     // bytes of the frame when status == kOk
  std::string_view error;  // static text when status == kMalformed
};

// Parses one whole frame at the front of `in` (Go ParseFrame): fewer than 4
// bytes, a truncated varint or fewer than L data bytes is kNeedMore; an
// over-long varint is kMalformed ("varint too long").
FrameParse ParseFrame(Bytes in);

// The protocol error for a kMalformed parse.
Status MalformedFrameError(std::string_view why);

}  // namespace drpc::wire
