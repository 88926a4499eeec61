// MuxWriter: the one writer of a connection (drpc-protocol.md §4.5). Every
// stream hands it whole encoded frames; exactly one task at a time (the
// holder of the WRITING ROLE) writes to the transport. Frames of one caller
// reach the wire in call order and are never torn; frames of different
// streams interleave at frame granularity (a batch, WriteFrames, at batch
// granularity).
//
//   MuxWriter writer(transport, [&](Status err) { manager.Terminate(err); });
//   writer.WriteFrame(frame, &stream_send_signal);   // any task
//   writer.StopAfterFlush(err); writer.WaitExited(deadline); transport.Close();
//   writer.Join();
//
// Who writes. Two paths, one role:
//   * Inline (the fast path). A caller (but QueueFrame's, a streaming
//     sender's next message) that finds nobody writing and nothing queued
//     takes the role and writes its frames itself with the
//     transport's non-blocking TryWrite: no hand-off to another task, no
//     wake-up. Frames others append meanwhile go to the queue, and the
//     inline writer takes them too before it lets go (at most
//     kMaxInlineRounds rounds, so a caller never works for others for
//     long).
//   * The writer task. It takes the role when frames are queued and nobody
//     writes (the seed era's double buffering: it swaps the queue with a
//     spare buffer and writes it while streams keep appending), and when an
//     inline writer hands it the role: whatever TryWrite did not take (the
//     transport was full, the rest of a frame included) is left to the task
//     to finish with a blocking Write, first, before any queued frame; also
//     when rounds run out with frames queued.
// So the task writes only under contention, back-pressure (a full
// socket) or a burst (QueueFrame), and a sequential caller's frames cost
// one system call and no context switch. A burst is left to the task on
// purpose: a sender writing its own messages one system call each is held
// to the transport's per-write rate, while the task writes what piled up
// during its last write in one. MuxWriterOptions::inline_writes = false restores the
// task-only writer (for comparison).
//
// A stuck peer. An inline writer never blocks in the transport: TryWrite
// takes what fits and the rest goes to the writer task, which blocks in
// Write exactly as before. So a stream's Close (or any caller) facing a
// peer that stopped reading returns as soon as its frame is accepted, as
// with the task-only writer; it never holds the role while blocked, and
// the connection's other writers are held up only by what holds them up
// without inline writes (the task's blocked write and the high-water mark).
// A transport without a non-blocking path (TryWrite's default takes
// nothing) is written only by the task. The price: a partial TryWrite makes
// the task finish the frame, one wake-up, no worse than the task-only path.
//
// Bounded, as the later Go versions: while high_water_bytes or more are
// queued, a frame WITHOUT the control bit waits until the writer drains the
// queue, its `cancel` signal is set (it returns cancel->err()), or the writer
// stops (it returns the stop error). Control frames (Cancel, abortive errors)
// are queued at once whatever the backlog, so a cancel is never held up
// behind the data it cancels. Peak memory is about 2 x high_water_bytes plus
// the control frames and one frame (or batch) per waiting-free caller above
// the mark. A batch waits as a data frame if any of its frames is one.
//
// Stopping. First stop wins; its error is what later WriteFrames return.
//   * Stop(err) aborts: frames still queued are dropped (the seed era's only
//     mode); bytes already handed to the transport's write (in flight,
//     including the rest of a partly written frame) are still finished, so
//     an abort never tears a frame. Used when the connection is already
//     broken (read or write error, protocol error).
//   * StopAfterFlush(err) is graceful: nothing new is accepted, but every
//     frame whose WriteFrame already returned ok is still written, then the
//     task exits. Used by Manager::Close so a terminal frame queued just
//     before Close (a deferred stream Close, an Error) reaches the peer when
//     the transport is healthy. Go may drop those (§4.5); we do not. The
//     flush is bounded by the caller: if the transport does not take the
//     bytes by its deadline (a peer that stopped reading), the caller closes
//     the transport, the write fails and the task exits.
// The task exits only once no inline writer holds the role, so after
// exited() nobody touches the transport through this writer.
// A transport write error (the task's Write) stops the writer with that
// error and calls `on_error` once, from the writer task, outside every lock
// (the manager terminates the connection); it is not called for errors
// after a stop. An inline TryWrite error is not reported by the caller (it
// may hold a stream's locks that on_error needs): its bytes go to the task,
// whose Write meets the error and reports it.
//
// Thread safety: WriteFrame(s), Stop, StopAfterFlush, WaitExited and the
// observers may be called from any task. Join is called once, by the owner,
// never from `on_error`. The transport must outlive the writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
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
  // unbounded (the seed era's writer; for comparison only).
  size_t high_water_bytes = size_t{1} << 20;
  // A spare buffer that grew past this after a burst is freed, not kept.
  size_t max_kept_buffer_bytes = size_t{4} << 20;
  // Callers write to the transport themselves when nobody else is writing
  // (see the header comment). false: only the writer task writes.
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
  size_t max_queued_bytes = 0;     // high-water of the queue actually reached
};

class MuxWriter final : public stream::FrameSink {
 public:
  using ErrorHandler = UniqueFunction<void(Status)>;

  // Rounds an inline writer makes at most: its own frames, then up to
  // kMaxInlineRounds - 1 rounds of frames others queued meanwhile.
  static constexpr int kMaxInlineRounds = 4;

  // Starts the writer task.
  MuxWriter(rt::Transport& transport, ErrorHandler on_error, MuxWriterOptions options = {});
  // The task must have been joined (Join), which needs a stop first.
  ~MuxWriter() override;
  MuxWriter(const MuxWriter&) = delete;
  MuxWriter& operator=(const MuxWriter&) = delete;

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  // Atomic: all frames are queued (or written) contiguously, or none.
  Status WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) override;
  // Never written inline: the frame goes to the queue for the task.
  Status QueueFrame(const wire::Frame& frame, rt::Signal* cancel) override;

  void Stop(Status err);            // abortive: queued frames are dropped
  void StopAfterFlush(Status err);  // graceful: queued frames are written first

  // True once the task has exited (by `deadline`).
  bool WaitExited(rt::TimePoint deadline);
  // Waits for the task to exit and joins it. Needs a stop (or a write error)
  // to have happened or to happen. Call once.
  void Join();

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
  // WriteFrames and QueueFrame: `may_write_inline` lets the caller take
  // the role when nobody writes and nothing is queued.
  Status Submit(std::span<const wire::Frame> frames, rt::Signal* cancel, bool may_write_inline);
  // The caller holds the inline role with its frames in in_flight_; writes
  // them (and frames queued meanwhile) and lets go of the role.
  void WriteInline(rt::Lock& lock);
  // The task has something to do: write a hand-off or the queue, or exit.
  bool TaskHasWorkLocked() const;
  void WakeTaskLocked();
  // Marks the writer stopped (first call wins). mu_ held.
  bool StopLocked(Status err, Mode mode);
  // The drain signal the next swap will set, made on first need. mu_ held.
  std::shared_ptr<rt::Signal> DrainSignalLocked();
  bool OverMarkLocked() const;
  // Swaps the queue into the empty in_flight_; returns the drain signal to
  // set once mu_ is let go. mu_ held, role held.
  std::shared_ptr<rt::Signal> TakeQueueLocked();

  rt::Transport& transport_;
  ErrorHandler on_error_;
  const MuxWriterOptions options_;

  mutable rt::Mutex mu_;
  rt::CondVar has_work_;        // the writer task waits here for work or a stop
  Buffer queued_;               // guarded by mu_: encoded frames waiting for a writer
  Mode mode_ = Mode::kRunning;  // guarded by mu_
  Role role_ = Role::kNone;     // guarded by mu_
  // The inline writer left in_flight_[in_flight_offset_..] to the task,
  // which writes it before anything else. guarded by mu_.
  bool handed_off_ = false;
  // Owned by the holder of the role (read and written without mu_ while
  // it holds it): the bytes being written and how many were written.
  Buffer in_flight_;
  size_t in_flight_offset_ = 0;
  Status stop_error_;                       // guarded by mu_
  bool writer_idle_ = false;                // guarded by mu_: the task waits on has_work_
  std::shared_ptr<rt::Signal> next_drain_;  // guarded by mu_
  MuxWriterStats stats_;                    // guarded by mu_
  rt::Signal stopped_;
  rt::Signal exited_;
  rt::Task task_;
};

}  // namespace drpc::manager
