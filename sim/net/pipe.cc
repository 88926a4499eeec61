#include "sim/net/pipe.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/time.h"
#include "sim/sched/run.h"

namespace drpc::sim::net {
namespace {

class PipeEnd final : public rt::Transport {
 public:
  PipeEnd(std::shared_ptr<Pipe> pipe, int end) : pipe_(std::move(pipe)), end_(end) {}
  // Like a socket's descriptor: dropping an end closes it (inside a run; an
  // end outliving its run has nothing left to tell).
  ~PipeEnd() override {
    if (sim::InRun()) (void)pipe_->Close(end_);
  }
  PipeEnd(const PipeEnd&) = delete;
  PipeEnd& operator=(const PipeEnd&) = delete;
  ReadResult Read(MutableBytes buffer) override { return pipe_->Read(end_, buffer); }
  Status Write(Bytes data) override { return pipe_->Write(end_, data); }
  rt::WriteResult TryWrite(Bytes data) override { return pipe_->TryWrite(end_, data); }
  Status WriteV(std::span<const Bytes> parts) override { return pipe_->WriteV(end_, parts); }
  rt::WriteResult TryWriteV(std::span<const Bytes> parts) override {
    return pipe_->TryWriteV(end_, parts);
  }
  Status Close() override { return pipe_->Close(end_); }
  Status CloseWrite() override { return pipe_->CloseWrite(end_); }

 private:
  std::shared_ptr<Pipe> pipe_;
  int end_;
};

}  // namespace

PipeEnds MakePipe(PipeOptions options) {
  DRPC_ASSERT(options.capacity_bytes > 0, "a pipe needs room for at least one byte");
  auto pipe = std::make_shared<Pipe>(options);
  PipeEnds ends;
  ends.a = std::make_unique<PipeEnd>(pipe, 0);
  ends.b = std::make_unique<PipeEnd>(pipe, 1);
  ends.pipe = std::move(pipe);
  return ends;
}

Pipe::Direction::Direction(size_t capacity, const char* readable_name, const char* writable_name)
    : bytes(new uint8_t[capacity]), readable(readable_name), writable(writable_name) {}

Pipe::Pipe(PipeOptions options)
    : options_(options),
      mu_("pipe.mu"),
      to_b_(options.capacity_bytes, "pipe.b_readable", "pipe.a_writable"),
      to_a_(options.capacity_bytes, "pipe.a_readable", "pipe.b_writable") {}

void Pipe::MaybeInjectResetLocked() {
  if (options_.reset_one_in == 0 || reset_) return;
  if (sim::Choose(options_.reset_one_in, ChoiceKind::kFault) == 1) ResetLocked();
}

void Pipe::ResetLocked() {
  if (reset_) return;
  reset_ = true;
  for (Direction* d : {&to_a_, &to_b_}) {
    ClearLocked(*d);  // bytes in flight are lost
    d->readable.notify_all();
    d->writable.notify_all();
  }
}

void Pipe::Reset() {
  rt::LockGuard guard(mu_);
  ResetLocked();
}

void Pipe::ClearLocked(Direction& d) {
  d.head = d.size = 0;
  d.segments.clear();
}

void Pipe::Vanish(int end) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::LockGuard guard(mu_);
  if (vanished_[end]) return;
  vanished_[end] = true;
  vanished_at_[end] = rt::Clock::now().time_since_epoch().count();
  // Only the vanished end's own waiters learn of it; the peer hears nothing,
  // but with keepalive its waits now end by the time it will find out.
  Incoming(end).readable.notify_all();
  Outgoing(end).writable.notify_all();
  if (options_.keepalive > 0) {
    Outgoing(end).readable.notify_all();
    Incoming(end).writable.notify_all();
  }
}

Nanos Pipe::KeepaliveDueLocked(int end) const {
  if (options_.keepalive == 0 || !vanished_[1 - end]) return kNever;
  return vanished_at_[1 - end] + options_.keepalive;
}

bool Pipe::KeepaliveExpiredLocked(int end) const {
  return KeepaliveDueLocked(end) <= rt::Clock::now().time_since_epoch().count();
}

void Pipe::SetSlowReader(int end, Nanos delay, size_t max_bytes) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::LockGuard guard(mu_);
  slow_delay_[end] = delay;
  slow_max_bytes_[end] = max_bytes;
}

void Pipe::Poke() {
  rt::LockGuard guard(mu_);
  to_a_.readable.notify_all();
  to_b_.readable.notify_all();
}

bool Pipe::vanished(int end) const {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::LockGuard guard(mu_);
  return vanished_[end];
}

size_t Pipe::ReadableLocked(int end, Nanos* next_due) const {
  const Direction& in = end == 0 ? to_a_ : to_b_;
  *next_due = kNever;
  if (options_.timing == nullptr) return in.size;
  if (options_.timing->Held(1 - end)) return 0;
  const Nanos now = rt::Clock::now().time_since_epoch().count();
  size_t ready = 0;
  for (const Direction::Segment& segment : in.segments) {
    if (segment.due > now) {
      *next_due = segment.due;
      break;
    }
    ready += segment.bytes;
  }
  return ready;
}

void Pipe::ConsumeLocked(Direction& in, size_t n) {
  const size_t capacity = options_.capacity_bytes;
  in.head = (in.head + n) % capacity;
  in.size -= n;
  while (n > 0 && !in.segments.empty()) {
    Direction::Segment& front = in.segments.front();
    const size_t take = std::min(n, front.bytes);
    front.bytes -= take;
    n -= take;
    if (front.bytes == 0) in.segments.pop_front();
  }
}

size_t Pipe::buffered(int end) const {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::LockGuard guard(mu_);
  return end == 0 ? to_a_.size : to_b_.size;
}

bool Pipe::was_reset() const {
  rt::LockGuard guard(mu_);
  return reset_;
}

Status Pipe::ClosedStatusLocked(int end) const {
  if (closed_[end]) return ClosedError("pipe: use of a closed transport");
  if (vanished_[end]) return ClosedError("pipe: this end's host is gone");
  DRPC_ASSERT(reset_, "only a closed or reset end is unusable");
  return ClosedError("pipe: connection reset by peer");
}

ReadResult Pipe::Read(int end, MutableBytes buffer) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  DRPC_ASSERT(!buffer.empty(), "rt::Transport::Read needs a non-empty buffer");
  // Read without the lock: no other fiber runs before the next scheduling
  // point, and an ordinary read keeps exactly the steps it always had.
  if (slow_delay_[end] > 0) rt::sleep_for(rt::Duration(slow_delay_[end]));  // a reader that lags
  rt::Lock lock(mu_);
  MaybeInjectResetLocked();
  Direction& in = Incoming(end);
  const char* label = end == 0 ? "pipe a: read waits for bytes" : "pipe b: read waits for bytes";
  size_t ready = 0;
  for (;;) {
    if (closed_[end] || reset_ || vanished_[end]) return {0, ClosedStatusLocked(end)};
    Nanos next_due = kNever;
    ready = ReadableLocked(end, &next_due);
    if (ready > 0) break;
    if (in.size == 0 && in.sender_closed) return {0, EofError()};
    if (KeepaliveExpiredLocked(end)) return {0, KeepaliveErrorLocked()};
    // Bytes in flight arrive at their delivery time (a vanished peer is
    // found out at the keepalive's): wait for that or a wake.
    next_due = std::min(next_due, KeepaliveDueLocked(end));
    const rt::TimePoint until =
        next_due == kNever ? rt::kNoDeadline : rt::TimePoint(rt::Duration(next_due));
    (void)in.readable.wait_until(lock, until, label);
  }
  size_t most = std::min(ready, buffer.size());
  if (slow_max_bytes_[end] > 0) most = std::min(most, slow_max_bytes_[end]);
  // Choice 0 takes everything available: the default schedule reads whole
  // writes, and shrinking a failure toward 0 removes the odd cuts.
  size_t n = most;
  if (options_.chosen_reads) n = most - sim::Choose(most, ChoiceKind::kNet);
  DRPC_ASSERT(n >= 1 && n <= most, "a read returns 1..available bytes");
  const size_t capacity = options_.capacity_bytes;
  for (size_t done = 0, at = in.head; done < n;) {
    size_t chunk = std::min(n - done, capacity - at);
    std::memcpy(buffer.data() + done, in.bytes.get() + at, chunk);
    at = (at + chunk) % capacity;
    done += chunk;
  }
  ConsumeLocked(in, n);
  in.writable.notify_all();
  return {n, OkStatus()};
}

Status Pipe::KeepaliveErrorLocked() const {
  return ConnectionError("pipe: connection timed out (keepalive: the peer is gone)");
}

Status Pipe::WriteBlockedStatusLocked(int end) const {
  if (closed_[end] || reset_ || vanished_[end]) return ClosedStatusLocked(end);
  if (KeepaliveExpiredLocked(end)) return KeepaliveErrorLocked();
  if (write_closed_[end]) return ClosedError("pipe: write after CloseWrite");
  const Direction& out = end == 0 ? to_b_ : to_a_;
  if (out.receiver_closed) return ClosedError("pipe: broken pipe (the peer closed)");
  return OkStatus();
}

void Pipe::CopyInLocked(int from_end, Direction& out, std::span<const Bytes> parts, size_t from,
                        size_t n) {
  const size_t capacity = options_.capacity_bytes;
  if (options_.timing != nullptr && n > 0) {
    // The link sends after what it was already given (bandwidth), then the
    // bytes travel (latency); arrivals keep the order of the writes.
    const Nanos now = rt::Clock::now().time_since_epoch().count();
    const uint64_t rate = options_.timing->BytesPerSecond();
    const Nanos sending =
        rate == 0 ? 0 : static_cast<Nanos>((static_cast<__uint128_t>(n) * 1'000'000'000) / rate);
    out.wire_free = std::max(now, out.wire_free) + sending;
    out.last_due = std::max(out.wire_free + options_.timing->Latency(from_end), out.last_due);
    out.segments.push_back(Direction::Segment{n, out.last_due});
  }
  DRPC_ASSERT(n <= capacity - out.size, "copying more than fits");
  size_t part = 0;
  // Find the part that byte `from` of the run is in.
  while (part < parts.size() && from >= parts[part].size()) from -= parts[part++].size();
  for (size_t copied = 0; copied < n;) {
    DRPC_ASSERT(part < parts.size(), "copying past the end of the parts");
    size_t tail = (out.head + out.size) % capacity;
    size_t piece = std::min({n - copied, capacity - tail, parts[part].size() - from});
    std::memcpy(out.bytes.get() + tail, parts[part].data() + from, piece);
    out.size += piece;
    copied += piece;
    from += piece;
    if (from == parts[part].size()) {
      ++part;
      from = 0;
    }
  }
  if (n > 0) out.readable.notify_all();
}

Status Pipe::Write(int end, Bytes data) { return WriteV(end, std::span<const Bytes>(&data, 1)); }

rt::WriteResult Pipe::TryWrite(int end, Bytes data) {
  return TryWriteV(end, std::span<const Bytes>(&data, 1));
}

namespace {

size_t TotalSize(std::span<const Bytes> parts) {
  size_t total = 0;
  for (Bytes part : parts) total += part.size();
  return total;
}

}  // namespace

// The gathered forms behave exactly as the plain ones given the parts
// joined: the same waits and the same choices, so a writer that gathers
// explores (and replays) the same schedules.
Status Pipe::WriteV(int end, std::span<const Bytes> parts) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::Lock lock(mu_);
  MaybeInjectResetLocked();
  Direction& out = Outgoing(end);
  const size_t size = TotalSize(parts);
  if (size == 0) return WriteBlockedStatusLocked(end);
  const size_t capacity = options_.capacity_bytes;
  size_t sent = 0;
  // Each round moves at least one byte or ends the call: at most
  // data.size() + 1 rounds.
  for (size_t round = 0; round <= size; ++round) {
    const Nanos keepalive_due = KeepaliveDueLocked(end);
    (void)out.writable.wait_until(
        lock,
        keepalive_due == kNever ? rt::kNoDeadline : rt::TimePoint(rt::Duration(keepalive_due)),
        [&] { return !WriteBlockedStatusLocked(end).ok() || out.size < capacity; },
        end == 0 ? "pipe a: write waits for space" : "pipe b: write waits for space");
    if (Status blocked = WriteBlockedStatusLocked(end); !blocked.ok()) return blocked;
    if (sent == size) return OkStatus();
    size_t chunk = std::min(size - sent, capacity - out.size);
    CopyInLocked(end, out, parts, sent, chunk);
    sent += chunk;
    if (sent == size) return OkStatus();
  }
  DRPC_ASSERT(false, "pipe write made no progress");
}

rt::WriteResult Pipe::TryWriteV(int end, std::span<const Bytes> parts) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::Lock lock(mu_);
  MaybeInjectResetLocked();
  if (Status blocked = WriteBlockedStatusLocked(end); !blocked.ok()) return {0, blocked};
  Direction& out = Outgoing(end);
  const size_t room = std::min(TotalSize(parts), options_.capacity_bytes - out.size);
  // Choice 0 takes all that fits: the default schedule behaves like a
  // socket with room; other choices find the transport (partly) full.
  size_t n = room;
  if (options_.chosen_try_writes && room > 0) n = room - sim::Choose(room + 1, ChoiceKind::kNet);
  DRPC_ASSERT(n <= room, "a try-write takes at most what fits");
  CopyInLocked(end, out, parts, 0, n);
  return {n, OkStatus()};
}

Status Pipe::Close(int end) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::LockGuard guard(mu_);
  if (closed_[end]) return OkStatus();
  closed_[end] = true;
  if (vanished_[end]) return OkStatus();  // a vanished end tells the peer nothing
  Direction& out = Outgoing(end);
  Direction& in = Incoming(end);
  out.sender_closed = true;   // the peer reads what is there, then EOF
  in.receiver_closed = true;  // nobody will read these: the peer's writes fail
  ClearLocked(in);
  for (Direction* d : {&out, &in}) {
    d->readable.notify_all();
    d->writable.notify_all();
  }
  return OkStatus();
}

Status Pipe::CloseWrite(int end) {
  DRPC_ASSERT(end == 0 || end == 1, "a pipe has ends 0 and 1");
  rt::LockGuard guard(mu_);
  if (closed_[end] || write_closed_[end]) return OkStatus();
  write_closed_[end] = true;
  if (vanished_[end]) return OkStatus();
  Direction& out = Outgoing(end);
  out.sender_closed = true;  // the peer reads what is there, then EOF
  out.readable.notify_all();
  out.writable.notify_all();  // a Write of this end waiting for space fails
  return OkStatus();
}

}  // namespace drpc::sim::net
