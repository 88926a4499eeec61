// rt::Listener: where a server gets its connections (a TCP listening socket,
// or the simulator's in-memory listener). The RPC server's accept loop is
// written against this, so the same server runs on both backends.
//
// What Accept's errors mean to a caller (the server's accept loop):
//   kResourceExhausted  temporary (out of descriptors, buffers or memory):
//                       back off and retry (IsTemporaryAcceptError);
//   kClosed             the listener was closed (Close, here or elsewhere);
//   anything else       the listener is broken: stop accepting.
#pragma once

#include <memory>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/transport.h"

namespace drpc::rt {

class Listener {
 public:
  virtual ~Listener() = default;

  // Blocks until a peer connects and returns its connection, or fails (see
  // the header comment).
  virtual Result<std::unique_ptr<Transport>> Accept() = 0;
  // Idempotent. Wakes a pending Accept, which then fails with kClosed, as
  // does every later one. Never blocks for long and never calls back into
  // the caller (a server may call it under its own lock).
  virtual Status Close() = 0;
};

inline bool IsTemporaryAcceptError(const Status& err) {
  return err.is(ErrorKind::kResourceExhausted);
}

}  // namespace drpc::rt
