#include "drpc/manager/internal/open_order.h"

#include <array>
#include <string>
#include <vector>

#include "drpc/base/check.h"

namespace drpc::manager {

OpenOrder::OpenOrder(MuxWriter& writer) : writer_(writer), mu_("open_order.mu") {
  spare_nodes_.reserve(kMaxSpareNodes);
}

void OpenOrder::InsertLocked(IdMap& map, uint64_t key, uint64_t value) {
  if (spare_nodes_.empty()) {
    map.emplace(key, value);
    return;
  }
  IdMap::node_type node = std::move(spare_nodes_.back());
  spare_nodes_.pop_back();
  node.key() = key;
  node.mapped() = value;
  const bool inserted = map.insert(std::move(node)).inserted;
  DRPC_ASSERT(inserted, "a stream id mapped twice");
}

void OpenOrder::EraseLocked(IdMap& map, IdMap::iterator it) {
  IdMap::node_type node = map.extract(it);
  if (spare_nodes_.size() < kMaxSpareNodes) spare_nodes_.push_back(std::move(node));
}

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
  if (auto local = local_of_.find(it->second); local != local_of_.end()) {
    EraseLocked(local_of_, local);
  }
  never_sent_.erase(it->second);
  EraseLocked(wire_of_, it);
}

uint64_t OpenOrder::LocalId(uint64_t wire_id) const {
  rt::LockGuard guard(mu_);
  auto it = local_of_.find(wire_id);
  return it == local_of_.end() ? 0 : it->second;
}

void OpenOrder::WaitForTurnMove(rt::Lock& lock, rt::Signal* cancel, const char* label) {
  if (turn_moved_ == nullptr) turn_moved_ = std::make_shared<rt::Signal>("open_order.turn");
  std::shared_ptr<rt::Signal> moved = turn_moved_;
  lock.unlock();
  if (cancel != nullptr) {
    rt::wait_any({moved.get(), cancel}, label);
  } else {
    moved->wait(label);
  }
  lock.lock();
}

void OpenOrder::AdvanceLocked(uint64_t wire_id) {
  DRPC_ASSERT(next_submit_ == wire_id, "first frames leave in wire-id order");
  next_submit_ = wire_id + 1;
  while (skipped_.erase(next_submit_) > 0) ++next_submit_;
  if (turn_moved_ != nullptr) {
    turn_moved_->set(OkStatus());
    turn_moved_.reset();
  }
}

template <class Submit>
Status OpenOrder::OnTheWire(uint64_t id, rt::Signal* cancel, const Submit& submit) {
  rt::Lock lock(mu_);
  auto it = wire_of_.find(id);
  if (it != wire_of_.end()) {
    const uint64_t wire_id = it->second;
    // A frame of a stream whose first frame is still on its way (a cancel
    // racing the invoke) waits for it, so it cannot announce the id early.
    while (next_submit_ <= wire_id && never_sent_.count(wire_id) == 0) {
      WaitForTurnMove(lock, nullptr, "open_order: a frame waits for its stream's first frame");
    }
    // The first frame gave up its turn (canceled): the id never reached
    // the wire, and a later id may have, so nothing more may use it.
    if (never_sent_.count(wire_id) > 0) {
      return CanceledError("stream " + std::to_string(id) + " was canceled before its first frame");
    }
    lock.unlock();
    return submit(wire_id);
  }
  // The first frame: the wire id is the next one, and first frames go to the
  // writer in wire-id order. The wait is for first frames that took their
  // ids just before this one and are being handed over by running tasks,
  // which may be held by back-pressure: a cancel ends it (a deadline or a
  // cancel must not wait behind another stream's blocked send).
  const uint64_t wire_id = next_wire_++;
  DRPC_ASSERT(wire_id != 0, "client wire ids wrapped around");
  InsertLocked(wire_of_, id, wire_id);
  InsertLocked(local_of_, wire_id, id);
  while (next_submit_ != wire_id) {
    if (cancel != nullptr && cancel->is_set()) {
      skipped_.insert(wire_id);
      never_sent_.insert(wire_id);
      Status err = cancel->err();
      return err.ok() ? CanceledError("stream " + std::to_string(id) +
                                      " was canceled before its first frame")
                      : err;
    }
    WaitForTurnMove(lock, cancel,
                    "open_order: a first frame waits for the lower wire ids' first frames");
  }
  lock.unlock();
  Status written = submit(wire_id);
  lock.lock();
  AdvanceLocked(wire_id);
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
  return OnTheWire(frame.stream_id, cancel, [&](uint64_t wire_id) {
    return writer_.WriteFrame(WithId(frame, wire_id), cancel);
  });
}

Status OpenOrder::QueueFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return OnTheWire(frame.stream_id, cancel, [&](uint64_t wire_id) {
    return writer_.QueueFrame(WithId(frame, wire_id), cancel);
  });
}

Status OpenOrder::WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) {
  return SubmitFrames(frames, 0, /*payload=*/nullptr, cancel, /*burst=*/false);
}

Status OpenOrder::WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken,
                                    Buffer& payload, rt::Signal* cancel, bool burst,
                                    Handover handover) {
  return SubmitFrames(frames, taken, &payload, cancel, burst, handover);
}

uint64_t OpenOrder::LendingTicket() { return writer_.LendingTicket(); }

bool OpenOrder::WaitWritten(uint64_t ticket, rt::Signal* cancel) {
  return writer_.WaitWritten(ticket, cancel);
}

void OpenOrder::ReleaseLent(Buffer payload, uint64_t ticket) {
  writer_.ReleaseLent(std::move(payload), ticket);
}

Status OpenOrder::SubmitFrames(std::span<const wire::Frame> frames, size_t taken, Buffer* payload,
                               rt::Signal* cancel, bool burst, Handover handover) {
  DRPC_ASSERT(!frames.empty(), "WriteFrames needs at least one frame");
  return OnTheWire(frames.front().stream_id, cancel, [&](uint64_t wire_id) {
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
    if (payload != nullptr) {
      return writer_.WriteFramesTaking(out, taken, *payload, cancel, burst, handover);
    }
    return writer_.WriteFrames(out, cancel);
  });
}

}  // namespace drpc::manager
