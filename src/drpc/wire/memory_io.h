// In-memory ByteSource and ByteSink: read frames out of a byte span, write
// frames into a Buffer. For tests, properties, fuzz targets, benchmarks, and
// anything that has a whole byte stream at hand.
//
//   SpanSource source(bytes, /*max_read=*/7);  // reads of at most 7 bytes
//   FrameReader reader(source);
//
// See docs/wire.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "drpc/base/buffer.h"
#include "drpc/wire/byte_io.h"

namespace drpc::wire {

// Serves `data` in reads of at most `max_read` bytes, then EOF.
class SpanSource final : public ByteSource {
 public:
  explicit SpanSource(Bytes data, size_t max_read = SIZE_MAX) : data_(data), max_read_(max_read) {
    DRPC_ASSERT(max_read > 0, "SpanSource max_read must be positive");
  }

  ReadResult Read(MutableBytes buffer) override {
    if (offset_ == data_.size()) return ReadResult{0, EofError()};
    size_t n = data_.size() - offset_;
    if (n > buffer.size()) n = buffer.size();
    if (n > max_read_) n = max_read_;
    if (n != 0) std::memcpy(buffer.data(), data_.data() + offset_, n);
    offset_ += n;
    return ReadResult{n, Status()};
  }

  // Starts over from the first byte.
  void Rewind() { offset_ = 0; }

 private:
  Bytes data_;
  size_t max_read_;
  size_t offset_ = 0;
};

// Appends everything written to a Buffer it owns.
class BufferSink final : public ByteSink {
 public:
  Status Write(Bytes data) override {
    ++writes_;
    bytes_.Append(data);
    return Status();
  }

  const Buffer& bytes() const { return bytes_; }
  Buffer& bytes() { return bytes_; }
  size_t writes() const { return writes_; }

 private:
  Buffer bytes_;
  size_t writes_ = 0;
};

}  // namespace drpc::wire
