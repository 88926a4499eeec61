// MuxWriter: the one writer of a connection (drpc-protocol.md §4.5). Streams
// hand it whole encoded frames; one caller's frames reach the wire in call
// order and are never torn. A caller that finds nobody writing writes its
// frames itself (non-blocking); otherwise a writer task does. Data frames
// wait while high_water_bytes are queued; control frames never wait. Small
// frames are copied into one buffer (batched); a large payload offered with
// WriteFramesTaking is taken by ownership and written from its own buffer
// with the headers in one gathered write (no copy); the frames of a message
// over the split size are lent (written from the sender's buffer, which it
// reuses once LendingTicket's ticket is written). How and why:
// docs/manager.md, "MuxWriter".
//
//   MuxWriter writer(transport, [&](Status err) { /* terminate the connection */ });
//   writer.WriteFrame(frame, &cancel_signal);  // any task
//   writer.StopAfterFlush(err);                // or Stop(err): drop what is queued
//   if (!writer.WaitExited(deadline)) transport.Close();
//   writer.Join();
//
// Thread safety: the writes, Stop, StopAfterFlush, WaitExited and the
// observers may be called from any task; Join once, by the owner, never
// from `on_error`. The transport must outlive the writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/resource_meter.h"
#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
#include "drpc/manager/internal/next_signal.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
#include "drpc/stream/frame_sink.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"

namespace drpc::manager {

struct MuxWriterOptions {
  // Data frames wait while at least this many bytes are queued. 0 means
  // unbounded (for comparison only).
  size_t high_water_bytes = size_t{1} << 20;
  // A spare buffer that grew past this after a burst is freed, not kept.
  size_t max_kept_buffer_bytes = size_t{4} << 20;
  // Callers write to the transport themselves when nobody else is writing
  // (docs/manager.md). false: only the writer task writes.
  bool inline_writes = true;
  std::string name = "mux_writer";  // task name in traces and reports
};

struct MuxWriterStats {
  uint64_t frames_queued = 0;      // frames accepted by WriteFrame(s)
  uint64_t control_over_mark = 0;  // control frames queued above the high-water mark
  uint64_t data_waits = 0;         // data frames (or batches) that had to wait for a drain
  uint64_t writes = 0;             // transport writes of either kind (Write, TryWrite)
  uint64_t inline_writes = 0;      // of which TryWrites by callers holding the role
  uint64_t handoffs = 0;           // inline writers that left bytes to the task
  uint64_t burst_frames = 0;       // frames given with QueueFrame (never inline)
  uint64_t bytes_written = 0;      // bytes the transport took
  uint64_t bytes_dropped = 0;      // queued bytes thrown away by an abortive stop
  uint64_t payloads_taken = 0;     // frame payloads taken by ownership (not copied)
  uint64_t payloads_lent = 0;      // frame payloads written from a lender's buffer (kLend)
  size_t max_queued_bytes = 0;     // high-water of the queue actually reached
};

class MuxWriter final : public stream::FrameSink {
 public:
  using ErrorHandler = UniqueFunction<void(Status)>;

  // Rounds an inline writer makes at most: its own frames, then up to
  // kMaxInlineRounds - 1 rounds of frames others queued meanwhile.
  static constexpr int kMaxInlineRounds = 4;
  // A payload offered with WriteFramesTaking is taken (not copied) from
  // this size on; smaller ones are copied, so they batch with other frames.
  static constexpr size_t kMinTakenPayloadBytes = 8 * 1024;

  // Starts the writer task. `meter` (may be null; must outlive the writer)
  // counts the capacity of the queue and the in-flight buffer as
  // kWriterQueue.
  MuxWriter(rt::Transport& transport, ErrorHandler on_error, MuxWriterOptions options = {},
            ResourceMeter* meter = nullptr);
  // The task must have been joined (Join), which needs a stop first.
  ~MuxWriter() override;
  MuxWriter(const MuxWriter&) = delete;
  MuxWriter& operator=(const MuxWriter&) = delete;

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  // Atomic: all frames are queued (or written) contiguously, or none.
  Status WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) override;
  // Never written inline: the frame goes to the queue for the task.
  Status QueueFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  // As WriteFrames (QueueFrame if `burst`), taking `payload` with
  // frames[taken] when its data are large, or writing them from it when
  // `handover` is kLend (FrameSink::WriteFramesTaking).
  Status WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken, Buffer& payload,
                           rt::Signal* cancel, bool burst, Handover handover) override;
  // Lending (FrameSink): a ticket is the number of submissions so far; it
  // is written once every frame submitted up to it is.
  uint64_t LendingTicket() override;
  bool WaitWritten(uint64_t ticket, rt::Signal* cancel) override;
  void ReleaseLent(Buffer payload, uint64_t ticket) override;

  void Stop(Status err);            // abortive: queued frames are dropped
  void StopAfterFlush(Status err);  // graceful: queued frames are written first

  // True once the task has exited (by `deadline`).
  bool WaitExited(rt::TimePoint deadline);
  // Waits for the task to exit and joins it. Needs a stop (or a write error)
  // to have happened or to happen. Call once.
  void Join();
  // Not ok if the writer's task could not be started: the writer is then
  // stopped with this error from the start (and counts as exited).
  const Status& start_error() const { return start_error_; }

  // Set when the writer stops accepting frames (stop or write error), with
  // that error.
  rt::Signal& stopped() { return stopped_; }
  // Set when the task has exited.
  rt::Signal& exited() { return exited_; }
  MuxWriterStats stats() const;
  size_t queued_bytes() const;

 private:
  enum class Mode : uint8_t { kRunning, kFlushing, kAborted };
  // Who may write to the transport (and use in_flight_).
  enum class Role : uint8_t { kNone, kInline, kTask };

  void Run();
  // A frame's payload the writer took by ownership: written, from its own
  // buffer, right after the first `at` bytes of the byte buffer it belongs
  // to (queued_ or in_flight_) and before the rest of them.
  // A lent payload (kLend) is written the same way from the lender's buffer,
  // which `buffer` then leaves empty.
  struct TakenPayload {
    size_t at = 0;
    Buffer buffer;  // owns the bytes (taken), or empty (lent)
    Bytes data;     // the frame's data, inside `buffer` or the lender's buffer
  };
  // How Submit treats frames[taken]'s data.
  enum class PayloadUse : uint8_t { kCopy, kTake, kLend };

  // WriteFrames and QueueFrame: `may_write_inline` lets the caller take
  // the role when nobody writes and nothing is queued. `payload` holds
  // frames[taken]'s data unless `use` is kCopy.
  Status Submit(std::span<const wire::Frame> frames, rt::Signal* cancel, bool may_write_inline,
                size_t taken = 0, Buffer* payload = nullptr, PayloadUse use = PayloadUse::kCopy);
  // Appends `frames` to `bytes`, copying their data, except frames[taken]'s
  // unless `use` is kCopy: then its header only, and its data go to
  // `taken_to`, by reference (kLend) or with `payload` (kTake, which gets
  // `spare` back).
  void EncodeFrames(std::span<const wire::Frame> frames, Buffer& bytes,
                    std::vector<TakenPayload>& taken_to, size_t taken, Buffer* payload,
                    PayloadUse use, Buffer* spare);
  // Frees the released lent buffers no queued or in-flight frame reads any
  // more. mu_ held.
  void FreeReleasedLocked();
  // The in-flight submissions are written (or, aborted, never will be):
  // lenders waiting for them go. mu_ held, role held.
  void MarkInFlightWrittenLocked();
  // A buffer to hand back for a taken payload (a spare, or empty). mu_ held.
  Buffer PopSpareLocked();
  // The written in-flight payloads become spares (or are freed). mu_ held,
  // role held.
  void RecycleInFlightLocked();
  // The rest of the in-flight bytes, at most `limit` of them, as parts for
  // a gathered write (into gather_). Role held.
  std::span<const Bytes> GatherInFlight(size_t limit);
  size_t InFlightSize() const;  // bytes and taken payloads; role held
  size_t QueuedSizeLocked() const { return queued_.size() + queued_taken_bytes_; }
  void MeterTakenLocked() { taken_meter_.Set(taken_capacity_); }
  // The caller holds the inline role with its frames in in_flight_; writes
  // them (and frames queued meanwhile) and lets go of the role.
  void WriteInline(rt::Lock& lock);
  // The task has something to do: write a hand-off or the queue, or exit.
  bool TaskHasWorkLocked() const;
  void WakeTaskLocked();
  // An abortive stop throws the queue away. mu_ held.
  void DropQueueLocked();
  // After an abortive stop: lenders stop waiting, and released buffers no
  // in-flight bytes read are freed. mu_ held.
  void WakeLendersAtAbortLocked();
  // Marks the writer stopped (first call wins). mu_ held.
  bool StopLocked(Status err, Mode mode);
  bool OverMarkLocked() const;
  // Swaps the queue into the empty in_flight_; returns the drain signal to
  // set once mu_ is let go. mu_ held, role held.
  std::shared_ptr<rt::Signal> TakeQueueLocked();

  rt::Transport& transport_;
  ErrorHandler on_error_;
  const MuxWriterOptions options_;

  mutable rt::Mutex mu_;
  rt::CondVar has_work_;                    // the writer task waits here for work or a stop
  Buffer queued_;                           // guarded by mu_: encoded frames waiting for a writer
  MeteredBytes queued_meter_;               // guarded by mu_: queued_'s capacity
  std::vector<TakenPayload> queued_taken_;  // guarded by mu_: their taken payloads
  size_t queued_taken_bytes_ = 0;           // guarded by mu_: data bytes of queued_taken_
  // guarded by mu_: written payload buffers, handed back to the next
  // takings (a streaming sender marshals into recycled memory), and their
  // capacity.
  std::vector<Buffer> spares_;
  size_t spare_capacity_ = 0;
  // guarded by mu_: the capacity of every taken buffer the writer holds
  // (queued, in flight, spare), counted as kWriterQueue.
  size_t taken_capacity_ = 0;
  MeteredBytes taken_meter_;
  // guarded by mu_: lent buffers whose lender gave them up before their
  // frames were written (ReleaseLent), each with its ticket; freed once it
  // is written or can never be. Counted as kMarshal, as in their stream.
  struct ReleasedLent {
    Buffer buffer;
    uint64_t ticket = 0;
  };
  std::vector<ReleasedLent> released_lent_;
  size_t released_lent_capacity_ = 0;
  MeteredBytes released_lent_meter_;
  // guarded by mu_: submissions so far; those whose frames are all
  // written; and those the in-flight bytes end with.
  uint64_t submitted_ = 0;
  uint64_t written_ = 0;
  uint64_t in_flight_upto_ = 0;
  NextSignal next_written_{"mux_writer.written"};  // guarded by mu_
  Mode mode_ = Mode::kRunning;                     // guarded by mu_
  Role role_ = Role::kNone;                        // guarded by mu_
  // The inline writer left in_flight_[in_flight_offset_..] to the task,
  // which writes it before anything else. guarded by mu_.
  bool handed_off_ = false;
  // Owned by the holder of the role (read and written without mu_ while
  // it holds it): the bytes being written and how many were written.
  Buffer in_flight_;
  std::vector<TakenPayload> in_flight_taken_;
  size_t in_flight_taken_bytes_ = 0;
  std::vector<Bytes> gather_;     // the parts of one gathered write
  MeteredBytes in_flight_meter_;  // in_flight_'s capacity (the role holder's)
  // Bytes of in_flight_ and its taken payloads written, counted in wire
  // order.
  size_t in_flight_offset_ = 0;
  Status stop_error_;         // guarded by mu_
  bool writer_idle_ = false;  // guarded by mu_: the task waits on has_work_
  // guarded by mu_: what data frames held back by the mark wait for (set
  // at every swap), recycled: a sender held back at every message (messages
  // over the mark) allocates nothing for its waits.
  NextSignal next_drain_{"mux_writer.drained"};
  MuxWriterStats stats_;  // guarded by mu_
  rt::Signal stopped_;
  rt::Signal exited_;
  rt::Task task_;
  Status start_error_;  // set once, in the constructor
};

}  // namespace drpc::manager
