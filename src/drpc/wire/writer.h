// FrameWriter: a buffered frame writer over a ByteSink (Go drpcwire.Writer).
//
// Frames are appended to an internal buffer; once it holds buffer_size bytes
// or more it is written to the sink in one Write. Flush() writes whatever is
// buffered. With buffer_size 0 every frame is written at once. WritePacket
// splits a packet into frames of at most split_size data bytes (split.h).
// The buffer grows to hold the largest frame written, so its size is bounded
// by buffer_size + the caller's largest frame.
//
// A sink error is final: buffered bytes are dropped and every later call
// returns the same error. Not thread-safe: the stream or the MuxWriter that
// owns it serialises access.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drpc/base/buffer.h"
#include "drpc/base/status.h"
#include "drpc/wire/byte_io.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/packet.h"

namespace drpc::wire {

inline constexpr size_t kDefaultWriteBufferSize = 4096;  // as Go's Writer

struct WriterOptions {
  size_t buffer_size = kDefaultWriteBufferSize;
  int64_t split_size = 0;  // Go semantics: 0 = 64 KiB, < 0 = never split
};

class FrameWriter {
 public:
  explicit FrameWriter(ByteSink& sink, WriterOptions options = {});
  FrameWriter(const FrameWriter&) = delete;
  FrameWriter& operator=(const FrameWriter&) = delete;

  Status WriteFrame(const Frame& frame);
  Status WritePacket(const Packet& packet);
  Status Flush();

  // Bytes appended but not yet written to the sink.
  size_t buffered() const { return buffer_.size(); }

 private:
  Status Fail(Status status);

  ByteSink& sink_;
  const WriterOptions options_;
  Buffer buffer_;
  Status failed_;
};

}  // namespace drpc::wire
