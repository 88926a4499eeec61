// OpenOrder: a client connection's FrameSink in front of its MuxWriter that
// makes new stream ids reach the wire in increasing order (drpc-protocol.md
// §4.4; Go closes the connection on "id monotonicity violation"). An id is
// reserved when the stream opens; the stream's first frame waits until every
// lower id has had its first frame queued or its stream finished. Why a gate
// and not a lock from open to invoke: docs/manager.md, "Stream ids".
//
//   OpenOrder order(writer);
//   uint64_t id = order.Reserve();   // NewClientStream
//   order.WriteFrame(frame, cancel); // the stream's sink
//   order.Forget(id);                // the stream finished (or never registered)
//
// Thread-safe. Its lock is a leaf: frames are handed to the writer outside it.
#pragma once

#include <cstdint>
#include <set>
#include <span>

#include "drpc/base/status.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/stream/frame_sink.h"

namespace drpc::manager {

class OpenOrder final : public stream::FrameSink {
 public:
  explicit OpenOrder(MuxWriter& writer);
  OpenOrder(const OpenOrder&) = delete;
  OpenOrder& operator=(const OpenOrder&) = delete;

  // The next stream id (1, 2, ...), not yet on the wire.
  uint64_t Reserve();
  // The stream of `id` writes nothing more; its turn passes to the next id.
  void Forget(uint64_t id);

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  Status QueueFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  Status WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) override;

 private:
  // Runs `submit` (a write to the writer) once `id` may reach the wire.
  template <class Submit>
  Status InTurn(uint64_t id, const Submit& submit);
  void UpdateFloorLocked();

  MuxWriter& writer_;
  // Every id below it is on the wire or finished: its frames skip the lock.
  rt::Atomic<uint64_t> floor_;
  rt::Mutex mu_;
  rt::CondVar turn_;            // the lowest reserved id changed
  uint64_t next_id_ = 1;        // guarded by mu_
  std::set<uint64_t> waiting_;  // guarded by mu_: reserved, first frame not yet queued
};

}  // namespace drpc::manager
