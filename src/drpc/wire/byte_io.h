// wire::ByteSource and wire::ByteSink: the byte streams the frame reader and
// writer talk to. `wire` does not depend on `rt`; the manager adapts its
// rt::Transport to these, tests and benchmarks use memory_io.h.
//
//   class MySource final : public wire::ByteSource {
//     ReadResult Read(MutableBytes buffer) override;  // bytes, then maybe an error
//   };
//
// See docs/wire.md.
#pragma once

#include <cstddef>

#include "drpc/base/bytes.h"
#include "drpc/base/read_result.h"
#include "drpc/base/status.h"

namespace drpc::wire {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to buffer.size() bytes. May return bytes together with an error
  // (the bytes come first). EOF is ErrorKind::kEof.
  virtual ReadResult Read(MutableBytes buffer) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes all of `data` or fails.
  virtual Status Write(Bytes data) = 0;
};

}  // namespace drpc::wire
