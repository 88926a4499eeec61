// The connection's timeouts (timeouts.h): progress stamps, the watcher's
// deadlines, and the transport that stamps its writes.
#include "drpc/manager/timeouts.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace drpc::manager {
namespace {

int64_t Ns(rt::TimePoint t) { return t.time_since_epoch().count(); }
int64_t Ns(rt::Duration d) { return d.count(); }
bool On(rt::Duration d) { return d > rt::Duration::zero(); }

// `since` + `d`, saturating (kNoDeadline stays far away).
int64_t After(int64_t since, rt::Duration d) {
  return since > INT64_MAX - Ns(d) ? INT64_MAX : since + Ns(d);
}

std::string Seconds(rt::Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

Status TimedOut(const std::string& what, const char* option, rt::Duration d) {
  // kClosed: the connection is gone, as after a reset; code Unavailable.
  return ClosedError("drpc: connection closed: " + what + " for " + Seconds(d) + " (timeouts." +
                     option + ")");
}

class TimedTransportImpl final : public rt::Transport {
 public:
  TimedTransportImpl(std::unique_ptr<rt::Transport> inner, ConnectionTimer& timer)
      : inner_(std::move(inner)), timer_(timer) {}
  ReadResult Read(MutableBytes buffer) override { return inner_->Read(buffer); }
  Status Write(Bytes data) override { return WriteV(std::span<const Bytes>(&data, 1)); }
  // Never blocks: not a stall.
  rt::WriteResult TryWrite(Bytes data) override { return inner_->TryWrite(data); }
  Status WriteV(std::span<const Bytes> parts) override {
    timer_.WriteBegins();
    Status st;
    size_t size = 0;
    for (Bytes part : parts) size += part.size();
    // As much as the transport takes at once (one call on a healthy
    // connection, as an unwrapped Write), then, when it is full, one
    // blocking piece: each is progress, so a slow reader keeps the
    // connection and a stopped one lets the stall timer run out. Each round
    // writes at least a byte or ends. Gathered parts stay gathered (the
    // pieces are the same as for the parts joined).
    for (size_t at = 0; at < size;) {
      const rt::WriteResult taken = inner_->TryWriteV(Slice(parts, at, size - at));
      at += taken.n;
      if (taken.n > 0) timer_.WriteProgress();
      if (!taken.err.ok()) {
        st = taken.err;
        break;
      }
      if (at == size) break;
      const size_t piece = std::min(kWriteProgressBytes, size - at);
      st = inner_->WriteV(Slice(parts, at, piece));
      if (!st.ok()) break;
      at += piece;
      timer_.WriteProgress();
    }
    timer_.WriteEnds();
    return st;
  }
  rt::WriteResult TryWriteV(std::span<const Bytes> parts) override {
    return inner_->TryWriteV(parts);
  }
  Status Close() override { return inner_->Close(); }
  Status CloseWrite() override { return inner_->CloseWrite(); }

 private:
  // Bytes [at, at + n) of `parts` joined, as parts (in slice_: one writer
  // at a time, so one scratch list; it keeps its capacity).
  std::span<const Bytes> Slice(std::span<const Bytes> parts, size_t at, size_t n) {
    slice_.clear();
    for (Bytes part : parts) {
      if (n == 0) break;
      if (at >= part.size()) {
        at -= part.size();
        continue;
      }
      const Bytes piece = part.subspan(at, std::min(n, part.size() - at));
      at = 0;
      n -= piece.size();
      slice_.push_back(piece);
    }
    return slice_;
  }

  const std::unique_ptr<rt::Transport> inner_;
  ConnectionTimer& timer_;
  std::vector<Bytes> slice_;
};

}  // namespace

ConnectionTimer::ConnectionTimer(const ConnectionTimeouts& timeouts, stream::Role role,
                                 UniqueFunction<void()> wake_watcher)
    : timeouts_(timeouts),
      server_(role == stream::Role::kServer),
      wake_watcher_(std::move(wake_watcher)),
      started_at_(Ns(rt::now())) {}

void ConnectionTimer::Started(int64_t deadline) {
  // The watcher stores armed_ before it looks at the stamps a second time
  // (Arm), so either it sees this timer or this load sees its plan.
  if (deadline < armed_.load()) wake_watcher_();
}

void ConnectionTimer::BeforeRead(size_t buffered) {
  if (buffered == 0 || !On(timeouts_.partial_frame)) return;
  if (partial_since_.load(std::memory_order_relaxed) != kNone) return;
  const int64_t now = Ns(rt::now());
  partial_since_.store(now);
  Started(After(now, timeouts_.partial_frame));
}

void ConnectionTimer::FrameRead() {
  if (!got_frame_.load(std::memory_order_relaxed)) got_frame_.store(true);
  if (partial_since_.load(std::memory_order_relaxed) != kNone) partial_since_.store(kNone);
}

void ConnectionTimer::WriteBegins() {
  const int64_t now = Ns(rt::now());
  write_since_.store(now);
  Started(After(now, timeouts_.write_stall));
}

void ConnectionTimer::WriteProgress() { write_since_.store(Ns(rt::now())); }

void ConnectionTimer::WriteEnds() { write_since_.store(kNone); }

rt::TimePoint ConnectionTimer::Next(rt::TimePoint empty_since) const {
  int64_t next = kNone;
  if (server_ && On(timeouts_.first_frame) && !got_frame_.load()) {
    next = std::min(next, After(started_at_, timeouts_.first_frame));
  }
  if (server_ && On(timeouts_.idle) && empty_since != rt::kNoDeadline) {
    next = std::min(next, After(Ns(empty_since), timeouts_.idle));
  }
  if (On(timeouts_.partial_frame)) {
    if (const int64_t since = partial_since_.load(); since != kNone) {
      next = std::min(next, After(since, timeouts_.partial_frame));
    }
  }
  if (On(timeouts_.write_stall)) {
    if (const int64_t since = write_since_.load(); since != kNone) {
      next = std::min(next, After(since, timeouts_.write_stall));
    }
  }
  return next == kNone ? rt::kNoDeadline : rt::TimePoint(rt::Duration(next));
}

ConnectionTimer::Plan ConnectionTimer::Arm(rt::TimePoint now, rt::TimePoint empty_since) {
  Plan plan;
  // Bounded: a second look finds an earlier deadline only if a hook
  // started a timer in between, and each hook starts its timer once.
  for (;;) {
    plan.wake = Next(empty_since);
    armed_.store(plan.wake == rt::kNoDeadline ? kNone : Ns(plan.wake));
    if (Next(empty_since) >= plan.wake) break;
  }
  // The table's emptying starts the idle timer; it needs a wake-up only if
  // the watcher would otherwise wake later than that timer's end.
  plan.wake_on_empty = server_ && On(timeouts_.idle) && empty_since == rt::kNoDeadline &&
                       Ns(plan.wake) > After(Ns(now), timeouts_.idle);
  return plan;
}

Status ConnectionTimer::Expired(rt::TimePoint now, rt::TimePoint empty_since) const {
  const int64_t t = Ns(now);
  if (server_ && On(timeouts_.first_frame) && !got_frame_.load() &&
      t >= After(started_at_, timeouts_.first_frame)) {
    return TimedOut("no complete frame since the connection began", "first_frame",
                    timeouts_.first_frame);
  }
  if (server_ && On(timeouts_.idle) && empty_since != rt::kNoDeadline &&
      t >= After(Ns(empty_since), timeouts_.idle)) {
    return TimedOut("idle (no streams)", "idle", timeouts_.idle);
  }
  if (On(timeouts_.partial_frame)) {
    if (const int64_t since = partial_since_.load();
        since != kNone && t >= After(since, timeouts_.partial_frame)) {
      return TimedOut("a partial frame made no complete frame", "partial_frame",
                      timeouts_.partial_frame);
    }
  }
  if (On(timeouts_.write_stall)) {
    if (const int64_t since = write_since_.load();
        since != kNone && t >= After(since, timeouts_.write_stall)) {
      return TimedOut("the peer took no bytes written to it", "write_stall", timeouts_.write_stall);
    }
  }
  return OkStatus();
}

std::unique_ptr<rt::Transport> TimedTransport(std::unique_ptr<rt::Transport> inner,
                                              ConnectionTimer& timer) {
  return std::make_unique<TimedTransportImpl>(std::move(inner), timer);
}

}  // namespace drpc::manager
