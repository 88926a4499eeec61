#include "drpc/manager/internal/open_order.h"

#include <array>
#include <vector>

#include "drpc/base/check.h"

namespace drpc::manager {

OpenOrder::OpenOrder(MuxWriter& writer)
    : writer_(writer), mu_("open_order.mu"), turn_("open_order.turn") {}

uint64_t OpenOrder::Reserve() {
  rt::LockGuard guard(mu_);
  const uint64_t id = next_local_++;
  DRPC_ASSERT(id != 0, "client stream ids wrapped around");
  return id;
}

void OpenOrder::Forget(uint64_t id) {
  rt::LockGuard guard(mu_);
  auto it = wire_of_.find(id);
  if (it == wire_of_.end()) return;
  local_of_.erase(it->second);
  wire_of_.erase(it);
}

uint64_t OpenOrder::LocalId(uint64_t wire_id) const {
  rt::LockGuard guard(mu_);
  auto it = local_of_.find(wire_id);
  return it == local_of_.end() ? 0 : it->second;
}

template <class Submit>
Status OpenOrder::OnTheWire(uint64_t id, const Submit& submit) {
  rt::Lock lock(mu_);
  auto it = wire_of_.find(id);
  if (it != wire_of_.end()) {
    const uint64_t wire_id = it->second;
    // A frame of a stream whose first frame is still on its way (a cancel
    // racing the invoke) waits for it, so it cannot announce the id early.
    turn_.wait(
        lock, [&] { return next_submit_ > wire_id; },
        "open_order: a frame waits for its stream's first frame");
    lock.unlock();
    return submit(wire_id);
  }
  // The first frame: the wire id is the next one, and first frames go to the
  // writer in wire-id order. The wait is only for first frames that took
  // their ids just before this one and are being handed over by running
  // tasks (never for a stream that has not started writing).
  const uint64_t wire_id = next_wire_++;
  DRPC_ASSERT(wire_id != 0, "client wire ids wrapped around");
  wire_of_.emplace(id, wire_id);
  local_of_.emplace(wire_id, id);
  turn_.wait(
      lock, [&] { return next_submit_ == wire_id; },
      "open_order: a first frame waits for the lower wire ids' first frames");
  lock.unlock();
  Status written = submit(wire_id);
  lock.lock();
  next_submit_ = wire_id + 1;
  turn_.notify_all();
  return written;
}

namespace {

wire::Frame WithId(const wire::Frame& frame, uint64_t wire_id) {
  wire::Frame out = frame;
  out.stream_id = wire_id;
  return out;
}

}  // namespace

Status OpenOrder::WriteFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return OnTheWire(frame.stream_id, [&](uint64_t wire_id) {
    return writer_.WriteFrame(WithId(frame, wire_id), cancel);
  });
}

Status OpenOrder::QueueFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return OnTheWire(frame.stream_id, [&](uint64_t wire_id) {
    return writer_.QueueFrame(WithId(frame, wire_id), cancel);
  });
}

Status OpenOrder::WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) {
  return SubmitFrames(frames, 0, /*payload=*/nullptr, cancel, /*burst=*/false);
}

Status OpenOrder::WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken,
                                    Buffer& payload, rt::Signal* cancel, bool burst) {
  return SubmitFrames(frames, taken, &payload, cancel, burst);
}

Status OpenOrder::SubmitFrames(std::span<const wire::Frame> frames, size_t taken, Buffer* payload,
                               rt::Signal* cancel, bool burst) {
  DRPC_ASSERT(!frames.empty(), "WriteFrames needs at least one frame");
  return OnTheWire(frames.front().stream_id, [&](uint64_t wire_id) {
    // A call's batches are short (invoke, message, CloseSend): no allocation.
    constexpr size_t kInline = 8;
    std::array<wire::Frame, kInline> small;
    std::vector<wire::Frame> large;
    std::span<wire::Frame> out;
    if (frames.size() <= kInline) {
      out = std::span<wire::Frame>(small.data(), frames.size());
    } else {
      large.resize(frames.size());
      out = large;
    }
    for (size_t i = 0; i < frames.size(); ++i) {
      DRPC_ASSERT(frames[i].stream_id == frames.front().stream_id,
                  "one WriteFrames call carries one stream's frames");
      out[i] = WithId(frames[i], wire_id);
    }
    if (payload != nullptr) return writer_.WriteFramesTaking(out, taken, *payload, cancel, burst);
    return writer_.WriteFrames(out, cancel);
  });
}

}  // namespace drpc::manager
