#include "drpc/manager/internal/open_order.h"

#include "drpc/base/check.h"

namespace drpc::manager {

OpenOrder::OpenOrder(MuxWriter& writer)
    : writer_(writer),
      floor_(1, "open_order.floor"),
      mu_("open_order.mu"),
      turn_("open_order.turn") {}

void OpenOrder::UpdateFloorLocked() {
  floor_.store(waiting_.empty() ? next_id_ : *waiting_.begin());
  turn_.notify_all();
}

uint64_t OpenOrder::Reserve() {
  rt::LockGuard guard(mu_);
  const uint64_t id = next_id_++;
  DRPC_ASSERT(id != 0, "client stream ids wrapped around");
  waiting_.insert(id);
  UpdateFloorLocked();
  return id;
}

void OpenOrder::Forget(uint64_t id) {
  rt::LockGuard guard(mu_);
  if (waiting_.erase(id) != 0) UpdateFloorLocked();
}

template <class Submit>
Status OpenOrder::InTurn(uint64_t id, const Submit& submit) {
  if (id < floor_.load()) return submit();  // already on the wire
  {
    rt::Lock lock(mu_);
    // Reserved ids are handed out in order, and their owners write the
    // first frame right after opening (or finish), so the wait is short.
    turn_.wait(
        lock, [&] { return waiting_.empty() || *waiting_.begin() >= id; },
        "open_order: a first frame waits for the lower ids' first frames");
  }
  // Only the lowest waiting id gets here until it is erased below: nothing
  // with a higher id can be queued before this frame.
  Status written = submit();
  Forget(id);
  return written;
}

Status OpenOrder::WriteFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return InTurn(frame.stream_id, [&] { return writer_.WriteFrame(frame, cancel); });
}

Status OpenOrder::QueueFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return InTurn(frame.stream_id, [&] { return writer_.QueueFrame(frame, cancel); });
}

Status OpenOrder::WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) {
  DRPC_ASSERT(!frames.empty(), "WriteFrames needs at least one frame");
  return InTurn(frames.front().stream_id, [&] { return writer_.WriteFrames(frames, cancel); });
}

}  // namespace drpc::manager
