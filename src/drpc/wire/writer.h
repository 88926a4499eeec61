// wire::FrameWriter: a buffered frame writer over a ByteSink (Go
// drpcwire.Writer).
//
//   FrameWriter writer(sink, {.buffer_size = 4096});
//   Status st = writer.WritePacket(packet);  // split into frames, buffered
//   if (st.ok()) st = writer.Flush();
//
// A sink error is final. Not thread-safe: the stream or the MuxWriter that
// owns it serialises access. Buffering and splitting: docs/wire.md,
// "Frame writer".
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

// Appends the header of `frame` only (the bytes AppendFrame writes before
// the data): a writer that sends the data from where they are, in a
// gathered write after this header, copies nothing.
void AppendFrameHeader(Buffer& out, const Frame& frame);

// AppendFrame that counts the copy of the frame's data as a send-path copy
// (base/copy_count.h): every writer that copies a payload uses it.
void AppendFrameCopied(Buffer& out, const Frame& frame);

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
