// The byte stream seams of the wire layer. `wire` must not depend on `rt`, so
// the reader and writer talk to these two small interfaces; the manager adapts
// its rt::Transport to them, tests and benchmarks use memory_io.h.
#pragma once

#include <cstddef>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"

namespace drpc::wire {

struct SourceRead {
  size_t n = 0;  // bytes placed at the front of the buffer
  Status err;    // if not ok: the error that follows those n bytes
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to buffer.size() bytes. May return bytes together with an error
  // (the bytes come first). EOF is ErrorKind::kEof.
  virtual SourceRead Read(MutableBytes buffer) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Writes all of `data` or fails.
  virtual Status Write(Bytes data) = 0;
};

}  // namespace drpc::wire
