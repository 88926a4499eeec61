// rt::Listener: where a server gets its connections (a TCP listening socket,
// or the simulator's in-memory listener), so one server runs on both
// backends.
//
//   Result<std::unique_ptr<rt::Transport>> t = listener.Accept();
//   if (!t.ok() && rt::IsTemporaryAcceptError(t.status())) BackOff();
//
// See docs/rt.md, "Transports".
#pragma once

#include <memory>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/transport.h"

namespace drpc::rt {

class Listener {
 public:
  virtual ~Listener() = default;

  // Blocks until a peer connects and returns its connection, or fails:
  // kResourceExhausted is temporary (out of descriptors, buffers or memory:
  // back off and retry); kClosed means the listener was closed; anything
  // else means it is broken.
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
