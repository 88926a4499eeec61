// wire::FrameReader: parses frames out of a ByteSource (parsing only: the
// per-stream PacketAssembler checks the ids, drpc-protocol.md §1.7).
//
//   FrameReader reader(source);
//   for (;;) {
//     Result<Frame> frame = reader.ReadFrame();
//     if (!frame.ok()) break;  // kEof at a clean frame boundary
//     Route(*frame);           // frame->data valid until the next ReadFrame
//   }
//
// Its memory is bounded by configuration (MaxBufferCapacity), whatever a
// peer declares; every error is final. Not thread-safe. Limits and errors:
// docs/wire.md, "Frame reader".
#pragma once

#include <cstddef>
#include <cstdint>

#include "drpc/base/bytes.h"
#include "drpc/base/resource_meter.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/wire/byte_io.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/internal/capped_buffer.h"

namespace drpc::wire {

inline constexpr size_t kDefaultMaxFrameSize = size_t{4} << 20;  // 4 MiB, Go's default
inline constexpr size_t kDefaultReadSize = 4096;
// Reads in a row that may return nothing before the reader gives up (Go's 100).
inline constexpr int kMaxEmptyReads = 100;

struct ReaderOptions {
  // The most data bytes one frame may declare (the header is not counted).
  size_t max_frame_size = kDefaultMaxFrameSize;
  // The least free space offered to each source read; also the read-ahead.
  size_t read_size = kDefaultReadSize;
};

class FrameReader {
 public:
  // `meter` (may be null; must outlive the reader) counts the buffer's
  // capacity as kFrameReader.
  explicit FrameReader(ByteSource& source, ReaderOptions options = {},
                       ResourceMeter* meter = nullptr);
  FrameReader(const FrameReader&) = delete;
  FrameReader& operator=(const FrameReader&) = delete;

  // The next frame. Its data aliases the reader's buffer and stays valid until
  // the next ReadFrame call. Errors: kEof at a frame boundary, kUnexpectedEof
  // inside a frame, a ProtocolError for a malformed or over-long frame, the
  // source's own error otherwise (docs/wire.md, "Frame reader").
  Result<Frame> ReadFrame();

  // The next frame's header, its payload not yet consumed: the caller picks
  // where the payload goes. Then ReadFrame() (the payload in the reader's
  // buffer, as usual) or ReadFrameInto(). Errors are ReadFrame's, for the
  // bytes up to the end of the header; every error is final either way.
  Result<FrameHeader> PeekHeader();

  // The peeked frame (PeekHeader first), its payload written to
  // `destination` (exactly data_size bytes): the bytes the read-ahead
  // already holds are copied from it, the rest are read from the source
  // straight into `destination`, so each payload byte is copied once
  // (counted as a receive copy, base/copy_count.h). The frame's data is
  // `destination`. Errors as ReadFrame's for the rest of the frame.
  Result<Frame> ReadFrameInto(MutableBytes destination);

  // Bytes read from the source but not yet returned as frames.
  // A frame being read into a caller's destination counts as buffered.
  size_t buffered() const { return buffer_.size() - begin_ + direct_; }
  size_t buffer_capacity() const { return buffer_.capacity(); }
  // The bound buffer_capacity() never exceeds.
  static size_t MaxBufferCapacity(const ReaderOptions& options);

 private:
  Bytes Pending() const { return Bytes(buffer_.data() + begin_, buffer_.size() - begin_); }
  // Makes room for a frame of `needed` bytes starting at the pending bytes.
  void MakeRoom(size_t needed);
  // One source read into the free space; counts empty reads.
  Status Fill(size_t needed, int* empty_reads);
  // The error for "no whole frame left and the source has ended with err_".
  Status EndOfInput() const;
  Status Fail(Status status);
  // The parse loop of ReadFrame: returns once the header (and, unless
  // `header_only`, the whole frame) is buffered.
  Result<FrameHeader> BufferFrame(bool header_only);
  static Frame FrameOf(const FrameHeader& header, Bytes data);

  ByteSource& source_;
  const ReaderOptions options_;
  internal::CappedBuffer buffer_;
  MeteredBytes metered_;        // buffer_'s capacity
  size_t begin_ = 0;            // first byte not yet returned as a frame
  size_t last_frame_size_ = 0;  // bytes of the frame the last call returned
  size_t direct_ = 0;           // frame bytes read so far by ReadFrameInto (for buffered())
  Status source_err_;           // the source's error, used once the buffer runs dry
  Status failed_;               // the final error, once one was returned
};

}  // namespace drpc::wire
