// rt::Transport: a reliable, ordered byte stream (TCP, a socketpair, or the
// simulator's in-memory pipe). Errors are values; EOF (the peer closed in
// order) is ErrorKind::kEof, a reset or a local close is ErrorKind::kClosed,
// anything else ErrorKind::kConnection.
#pragma once

#include <cstddef>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"

namespace drpc::rt {

struct ReadResult {
  size_t n = 0;  // bytes placed at the front of the buffer
  Status err;    // if not ok: the error that follows those n bytes
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Blocks until at least one byte is available or the stream ends. May
  // return bytes and an error together; the bytes come first (§1.8).
  // `buffer` must not be empty.
  virtual ReadResult Read(MutableBytes buffer) = 0;
  // Writes all of `data` or fails.
  virtual Status Write(Bytes data) = 0;
  // Idempotent. Unblocks a pending Read or Write, which then fail.
  virtual Status Close() = 0;
};

}  // namespace drpc::rt
