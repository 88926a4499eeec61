#include "drpc/manager/mux_writer.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/rt/fault.h"
#include "drpc/wire/writer.h"

namespace drpc::manager {

MuxWriter::MuxWriter(rt::Transport& transport, ErrorHandler on_error, MuxWriterOptions options,
                     ResourceMeter* meter)
    : transport_(transport),
      on_error_(std::move(on_error)),
      options_(std::move(options)),
      mu_("mux_writer.mu"),
      has_work_("mux_writer.has_work"),
      queued_meter_(meter, ResourceKind::kWriterQueue),
      taken_meter_(meter, ResourceKind::kWriterQueue),
      released_lent_meter_(meter, ResourceKind::kMarshal),
      in_flight_meter_(meter, ResourceKind::kWriterQueue),
      stopped_("mux_writer.stopped"),
      exited_("mux_writer.exited") {
  Result<rt::Task> task = rt::TrySpawn(options_.name, [this] { Run(); });
  if (task.ok()) {
    task_ = std::move(*task);
    return;
  }
  // No task: every write fails with the error; the owner sees start_error.
  start_error_ = task.status();
  Stop(start_error_);
  exited_.set(OkStatus());
}

MuxWriter::~MuxWriter() {
  DRPC_ASSERT(!task_.joinable(), "MuxWriter destroyed before its task was joined");
}

bool MuxWriter::OverMarkLocked() const {
  return options_.high_water_bytes != 0 && QueuedSizeLocked() >= options_.high_water_bytes;
}

std::shared_ptr<rt::Signal> MuxWriter::TakeQueueLocked() {
  DRPC_ASSERT(role_ != Role::kNone, "the queue is taken by the holder of the writing role");
  DRPC_ASSERT(in_flight_.empty() && in_flight_taken_.empty() && in_flight_offset_ == 0,
              "the spare buffer must be empty when the queue is taken");
  std::swap(queued_, in_flight_);
  std::swap(queued_taken_, in_flight_taken_);
  in_flight_taken_bytes_ = std::exchange(queued_taken_bytes_, 0);
  in_flight_upto_ = submitted_;
  queued_meter_.Set(queued_.capacity());
  in_flight_meter_.Set(in_flight_.capacity());
  DRPC_ASSERT(queued_.empty(), "the spare buffer must be empty at a swap");
  return next_drain_.Take();
}

bool MuxWriter::TaskHasWorkLocked() const {
  if (handed_off_) return true;
  // An inline writer hands off or lets go, and wakes the task then.
  if (role_ == Role::kInline) return false;
  DRPC_ASSERT(role_ == Role::kNone, "the task waits only while it does not write");
  // Stopped: an aborted writer exits; a flushing one writes the rest first.
  if (mode_ != Mode::kRunning) return true;
  return QueuedSizeLocked() != 0;
}

void MuxWriter::WakeTaskLocked() {
  if (!writer_idle_) return;  // it looks at the state again before it waits
  writer_idle_ = false;
  has_work_.notify_one();
}

Status MuxWriter::WriteFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return Submit(std::span<const wire::Frame>(&frame, 1), cancel, /*may_write_inline=*/true);
}

Status MuxWriter::QueueFrame(const wire::Frame& frame, rt::Signal* cancel) {
  return Submit(std::span<const wire::Frame>(&frame, 1), cancel, /*may_write_inline=*/false);
}

Status MuxWriter::WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) {
  return Submit(frames, cancel, /*may_write_inline=*/true);
}

Status MuxWriter::WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken,
                                    Buffer& payload, rt::Signal* cancel, bool burst,
                                    Handover handover) {
  DRPC_ASSERT(taken < frames.size(), "the taken frame is one of the frames");
  const Bytes data = frames[taken].data;
  DRPC_ASSERT(data.empty() || (data.data() >= payload.data() &&
                               data.data() + data.size() <= payload.data() + payload.size()),
              "a taken frame's data lie inside the payload buffer");
  PayloadUse use = PayloadUse::kLend;
  if (handover == Handover::kIfLarge) {
    use = data.size() >= kMinTakenPayloadBytes ? PayloadUse::kTake : PayloadUse::kCopy;
  }
  return Submit(frames, cancel, /*may_write_inline=*/!burst, taken, &payload, use);
}

uint64_t MuxWriter::LendingTicket() {
  rt::LockGuard guard(mu_);
  return submitted_;
}

bool MuxWriter::WaitWritten(uint64_t ticket, rt::Signal* cancel) {
  rt::Lock lock(mu_);
  while (written_ < ticket) {
    // Aborted: what is queued is dropped, so the ticket is never written.
    if (mode_ == Mode::kAborted || (cancel != nullptr && cancel->is_set())) return false;
    std::shared_ptr<rt::Signal> written = next_written_.Get();
    lock.unlock();
    if (cancel != nullptr) {
      rt::wait_any({written.get(), cancel}, "mux_writer: lent frames wait to be written");
    } else {
      written->wait("mux_writer: lent frames wait to be written");
    }
    written = nullptr;  // before mu_: Get rearms a spent signal nobody else holds
    lock.lock();
  }
  return true;
}

void MuxWriter::ReleaseLent(Buffer payload, uint64_t ticket) {
  if (payload.capacity() == 0) return;
  rt::LockGuard guard(mu_);
  released_lent_capacity_ += payload.capacity();
  released_lent_.push_back(ReleasedLent{.buffer = std::move(payload), .ticket = ticket});
  FreeReleasedLocked();
}

void MuxWriter::FreeReleasedLocked() {
  // Aborted, queued frames are dropped: only in-flight bytes (a hand-off
  // finishing its frame) may still read a released buffer.
  const bool none_to_write = mode_ == Mode::kAborted && role_ == Role::kNone;
  std::erase_if(released_lent_, [&](const ReleasedLent& lent) {
    const bool free = lent.ticket <= written_ || none_to_write;
    if (free) released_lent_capacity_ -= lent.buffer.capacity();
    return free;
  });
  released_lent_meter_.Set(released_lent_capacity_);
}

void MuxWriter::MarkInFlightWrittenLocked() {
  DRPC_ASSERT(role_ != Role::kNone, "what is in flight is written by the holder of the role");
  written_ = std::max(written_, in_flight_upto_);
  next_written_.Fire();
  if (released_lent_.empty()) return;
  // After an abortive stop these were the last bytes that could read a
  // released buffer (the role is still held: FreeReleasedLocked would wait).
  if (mode_ == Mode::kAborted) written_ = submitted_;
  FreeReleasedLocked();
}

Buffer MuxWriter::PopSpareLocked() {
  if (spares_.empty()) return Buffer();
  Buffer spare = std::move(spares_.back());
  spares_.pop_back();
  taken_capacity_ -= spare.capacity();
  spare_capacity_ -= spare.capacity();
  return spare;
}

void MuxWriter::RecycleInFlightLocked() {
  // Spares are kept up to the high-water mark's worth of bytes (memory the
  // writer holds at the mark anyway), so a sender that keeps the queue at
  // any depth below the mark always gets recycled memory back.
  const size_t max_spare_bytes =
      options_.high_water_bytes != 0 ? options_.high_water_bytes : options_.max_kept_buffer_bytes;
  for (TakenPayload& part : in_flight_taken_) {
    if (part.buffer.capacity() == 0) continue;  // lent: its lender owns the bytes
    if (spare_capacity_ + part.buffer.capacity() <= max_spare_bytes &&
        part.buffer.capacity() <= options_.max_kept_buffer_bytes) {
      spare_capacity_ += part.buffer.capacity();
      part.buffer.clear();
      spares_.push_back(std::move(part.buffer));
    } else {
      taken_capacity_ -= part.buffer.capacity();
    }
  }
  in_flight_taken_.clear();  // frees what did not become a spare
  in_flight_taken_bytes_ = 0;
  MeterTakenLocked();
  MarkInFlightWrittenLocked();
}

void MuxWriter::EncodeFrames(std::span<const wire::Frame> frames, Buffer& bytes,
                             std::vector<TakenPayload>& taken_to, size_t taken, Buffer* payload,
                             PayloadUse use, Buffer* spare) {
  for (size_t i = 0; i < frames.size(); ++i) {
    if (use == PayloadUse::kCopy || i != taken) {
      wire::AppendFrameCopied(bytes, frames[i]);
      continue;
    }
    wire::AppendFrameHeader(bytes, frames[i]);
    if (use == PayloadUse::kLend) {
      // The lender's buffer holds the bytes until its ticket is written
      // (WaitWritten), or is released to released_lent_.
      taken_to.push_back(TakenPayload{.at = bytes.size(), .buffer = {}, .data = frames[i].data});
      continue;
    }
    // Moving the buffer moves no bytes: the frame's data stay where they are.
    taken_to.push_back(
        TakenPayload{.at = bytes.size(), .buffer = std::move(*payload), .data = frames[i].data});
    *payload = std::move(*spare);
  }
}

size_t MuxWriter::InFlightSize() const { return in_flight_.size() + in_flight_taken_bytes_; }

std::span<const Bytes> MuxWriter::GatherInFlight(size_t limit) {
  gather_.clear();
  size_t skip = in_flight_offset_;
  size_t room = limit;
  auto add = [&](Bytes part) {
    if (skip >= part.size()) {
      skip -= part.size();
      return;
    }
    part = part.subspan(skip);
    skip = 0;
    if (part.size() > room) part = part.first(room);
    room -= part.size();
    if (!part.empty()) gather_.push_back(part);
  };
  const Bytes bytes = in_flight_.view();
  size_t at = 0;
  for (const TakenPayload& part : in_flight_taken_) {
    add(bytes.subspan(at, part.at - at));
    add(part.data);
    at = part.at;
  }
  add(bytes.subspan(at));
  return gather_;
}

Status MuxWriter::Submit(std::span<const wire::Frame> frames, rt::Signal* cancel,
                         bool may_write_inline, size_t taken, Buffer* payload, PayloadUse use) {
  DRPC_ASSERT(!frames.empty(), "WriteFrames needs at least one frame");
  DRPC_ASSERT(use == PayloadUse::kCopy || (payload != nullptr && taken < frames.size()),
              "a taken or lent payload comes with its buffer and frame");
  bool data = false;
  for (const wire::Frame& frame : frames) {
    DRPC_ASSERT(frame.kind <= wire::kMaxKind, "a frame kind must fit in 6 bits");
    data = data || !frame.control;
  }
  rt::Lock lock(mu_);
  // Each round waits for one drain (a swap by the writer), a cancel or a
  // stop; the writer makes progress on every round, so the loop ends unless
  // other streams refill the queue faster than the transport takes it, in
  // which case waiting is exactly the back-pressure asked for.
  bool waited = false;
  while (mode_ == Mode::kRunning && data && OverMarkLocked() &&
         !DRPC_PLANT(kManagerWriterBypassesMark)) {
    if (cancel != nullptr && cancel->is_set()) {
      lock.unlock();
      return cancel->err();
    }
    if (!waited) ++stats_.data_waits;
    waited = true;
    std::shared_ptr<rt::Signal> drained = next_drain_.Get();
    lock.unlock();
    if (cancel != nullptr) {
      rt::wait_any({drained.get(), &stopped_, cancel}, "mux_writer: data frame waits for a drain");
    } else {
      rt::wait_any({drained.get(), &stopped_}, "mux_writer: data frame waits for a drain");
    }
    drained = nullptr;  // before mu_: Get rearms a spent signal nobody else holds
    lock.lock();
  }
  if (mode_ != Mode::kRunning) return stop_error_;
  // Taken: the caller gets a spare back for its payload buffer, now or
  // never (the writer holds both only while it has the frames).
  Buffer spare;
  if (use == PayloadUse::kTake) {
    spare = PopSpareLocked();
    taken_capacity_ += payload->capacity();
    MeterTakenLocked();
    ++stats_.payloads_taken;
  }
  if (use == PayloadUse::kLend) ++stats_.payloads_lent;
  // Taken and lent data count towards the mark as queued bytes do.
  const size_t referenced_bytes = use != PayloadUse::kCopy ? frames[taken].data.size() : 0;
  if (OverMarkLocked()) {
    for (const wire::Frame& frame : frames) stats_.control_over_mark += frame.control ? 1 : 0;
  }
  ++submitted_;
  stats_.frames_queued += frames.size();
  if (!may_write_inline) stats_.burst_frames += frames.size();
  if (may_write_inline && options_.inline_writes && role_ == Role::kNone &&
      QueuedSizeLocked() == 0) {
    // Nothing is queued or being written: nothing can go before these
    // frames, so this caller writes them itself.
    DRPC_ASSERT(!handed_off_ && in_flight_.empty() && in_flight_taken_.empty(),
                "nobody writes, yet bytes are in flight");
    role_ = Role::kInline;
    in_flight_upto_ = submitted_;
    lock.unlock();
    // The role makes in_flight_ ours: encode outside the lock.
    EncodeFrames(frames, in_flight_, in_flight_taken_, taken, payload, use, &spare);
    in_flight_taken_bytes_ = referenced_bytes;
    in_flight_meter_.Set(in_flight_.capacity());
    WriteInline(lock);
    return OkStatus();
  }
  EncodeFrames(frames, queued_, queued_taken_, taken, payload, use, &spare);
  queued_taken_bytes_ += referenced_bytes;
  queued_meter_.Set(queued_.capacity());
  stats_.max_queued_bytes = std::max(stats_.max_queued_bytes, QueuedSizeLocked());
  // A holder of the role takes the queue before it lets go (or wakes the
  // task then); otherwise the task must.
  if (role_ == Role::kNone) WakeTaskLocked();
  return OkStatus();
}

void MuxWriter::WriteInline(rt::Lock& lock) {
  DRPC_ASSERT(!lock.owns_lock(), "an inline write starts outside the lock");
  std::shared_ptr<rt::Signal> drained;
  // Bounded by kMaxInlineRounds: each round writes what is in flight.
  for (int round = 1;; ++round) {
    // Waiters for a drain go now: the queue was emptied into in_flight_.
    if (drained != nullptr) drained->set(OkStatus());
    const size_t rest = InFlightSize() - in_flight_offset_;
    // A transport may take any prefix, a partial frame included: the fault
    // offers it a chosen one, so the hand-off of a torn frame is exercised.
    size_t offered = rest;
    if (rest > 1 && DRPC_FAULT(kShortWrite)) offered = rt::FaultPick(rest);
    const rt::WriteResult result = transport_.TryWriteV(GatherInFlight(offered));
    DRPC_ASSERT(result.n <= offered, "TryWrite took more than it was given");
    in_flight_offset_ += result.n;
    const bool all_written = in_flight_offset_ == InFlightSize();
    if (all_written) {
      in_flight_.clear();
      in_flight_offset_ = 0;
    }
    lock.lock();
    next_drain_.KeepSpent(std::move(drained));
    if (all_written) RecycleInFlightLocked();
    ++stats_.writes;
    ++stats_.inline_writes;
    stats_.bytes_written += result.n;
    if (!all_written) {
      // The transport is full (or failing; the task's Write will report
      // it). The rest, part of a frame included, is in flight: the task
      // finishes it before anything else, even after an abortive stop, so
      // no frame is torn. The caller does not wait for it.
      role_ = Role::kTask;
      handed_off_ = true;
      ++stats_.handoffs;
      WakeTaskLocked();
      return;
    }
    if (mode_ == Mode::kAborted || QueuedSizeLocked() == 0 || round >= kMaxInlineRounds) break;
    // Frames others queued while we wrote: ours to write too (the queue
    // goes out in order, after what we wrote).
    drained = TakeQueueLocked();
    lock.unlock();
  }
  if (in_flight_.capacity() > options_.max_kept_buffer_bytes) in_flight_.Release();
  in_flight_meter_.Set(in_flight_.capacity());
  role_ = Role::kNone;
  // Frames left queued (rounds ran out), or a stop that waits for us.
  if (QueuedSizeLocked() != 0 || mode_ != Mode::kRunning) WakeTaskLocked();
  lock.unlock();
}

void MuxWriter::DropQueueLocked() {
  stats_.bytes_dropped += QueuedSizeLocked();
  queued_.clear();
  for (const TakenPayload& part : queued_taken_) taken_capacity_ -= part.buffer.capacity();
  queued_taken_.clear();
  queued_taken_bytes_ = 0;
  MeterTakenLocked();
}

void MuxWriter::WakeLendersAtAbortLocked() {
  // What they wait for was dropped: it will never be written.
  next_written_.Fire();
  FreeReleasedLocked();
}

bool MuxWriter::StopLocked(Status err, Mode mode) {
  DRPC_ASSERT(!err.ok(), "a writer stops with an error");
  DRPC_ASSERT(mode != Mode::kRunning, "stopping into the running mode");
  if (mode_ != Mode::kRunning) {
    // A graceful stop may still be turned into an abortive one (the flush
    // deadline passed, or the connection broke meanwhile); never the reverse.
    if (mode == Mode::kAborted && mode_ == Mode::kFlushing) {
      mode_ = Mode::kAborted;
      DropQueueLocked();
      WakeLendersAtAbortLocked();
      writer_idle_ = false;
      has_work_.notify_all();
    }
    return false;
  }
  mode_ = mode;
  stop_error_ = std::move(err);
  if (mode == Mode::kAborted) {
    DropQueueLocked();
    WakeLendersAtAbortLocked();
  }
  writer_idle_ = false;
  has_work_.notify_all();
  return true;
}

void MuxWriter::Stop(Status err) {
  Status copy = err;
  bool first = false;
  {
    rt::LockGuard guard(mu_);
    first = StopLocked(std::move(err), Mode::kAborted);
  }
  if (first) stopped_.set(std::move(copy));
}

void MuxWriter::StopAfterFlush(Status err) {
  Status copy = err;
  bool first = false;
  {
    rt::LockGuard guard(mu_);
    first = StopLocked(std::move(err), Mode::kFlushing);
  }
  if (first) stopped_.set(std::move(copy));
}

void MuxWriter::Run() {
  // Each iteration writes once or ends the task; the task ends after a stop
  // once the queue and every hand-off are written (or dropped).
  for (;;) {
    std::shared_ptr<rt::Signal> drained;
    {
      rt::Lock lock(mu_);
      while (!TaskHasWorkLocked()) {
        writer_idle_ = true;
        has_work_.wait(lock, "mux_writer: wait for frames");
      }
      writer_idle_ = false;
      if (handed_off_) {
        // An inline writer left us the rest of its bytes (role_ is ours).
        DRPC_ASSERT(role_ == Role::kTask, "a hand-off comes with the role");
        handed_off_ = false;
      } else if (mode_ == Mode::kAborted) {
        break;
      } else if (QueuedSizeLocked() == 0) {
        DRPC_ASSERT(mode_ == Mode::kFlushing, "an empty queue ends only a flushing writer");
        break;
      } else {
        role_ = Role::kTask;
        drained = TakeQueueLocked();
      }
    }
    // Waiters for a drain go now: the queue is empty again.
    if (drained != nullptr) drained->set(OkStatus());
    const size_t bytes = InFlightSize() - in_flight_offset_;
    Status written = transport_.WriteV(GatherInFlight(bytes));
    in_flight_.clear();
    in_flight_offset_ = 0;
    if (in_flight_.capacity() > options_.max_kept_buffer_bytes) in_flight_.Release();
    in_flight_meter_.Set(in_flight_.capacity());
    bool first_error = false;
    {
      rt::LockGuard guard(mu_);
      next_drain_.KeepSpent(std::move(drained));
      RecycleInFlightLocked();
      ++stats_.writes;
      if (written.ok()) stats_.bytes_written += bytes;
      role_ = Role::kNone;
      // In the same critical section as letting go of the role, so no
      // inline writer starts between the failed write and the stop.
      if (!written.ok()) first_error = StopLocked(written, Mode::kAborted);
    }
    if (!written.ok()) {
      if (first_error) {
        stopped_.set(written);
        // Outside every lock: the manager terminates the connection, which
        // calls Stop on this writer again (a no-op now).
        on_error_(written);
      }
      break;
    }
  }
  {
    rt::LockGuard guard(mu_);
    DRPC_ASSERT(mode_ != Mode::kRunning && role_ == Role::kNone && !handed_off_,
                "the writer task exits while someone may still write");
  }
  exited_.set(OkStatus());
}

bool MuxWriter::WaitExited(rt::TimePoint deadline) {
  return exited_.wait_until(deadline, "mux_writer: wait for the writer task to exit");
}

void MuxWriter::Join() {
  if (!start_error_.ok()) return;  // there never was a task
  DRPC_ASSERT(task_.joinable(), "MuxWriter::Join called twice");
  task_.join();
  DRPC_ASSERT(exited_.is_set(), "the writer task returned without saying so");
}

MuxWriterStats MuxWriter::stats() const {
  rt::LockGuard guard(mu_);
  return stats_;
}

size_t MuxWriter::queued_bytes() const {
  rt::LockGuard guard(mu_);
  return QueuedSizeLocked();
}

}  // namespace drpc::manager
