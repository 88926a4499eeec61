// MuxWriter: the one writer of a connection (drpc-protocol.md §4.5). Every
// stream appends whole encoded frames to a shared buffer under a short lock;
// one writer task swaps that buffer with a spare (double buffering, so
// streams keep appending while a write is in progress) and writes it to the
// transport. Frames of one caller reach the wire in call order and are never
// torn; frames of different streams interleave at frame granularity.
//
//   MuxWriter writer(transport, [&](Status err) { manager.Terminate(err); });
//   writer.WriteFrame(frame, &stream_send_signal);   // any task
//   writer.StopAfterFlush(err); writer.WaitExited(deadline); transport.Close();
//   writer.Join();
//
// Bounded, as the later Go versions: while high_water_bytes or more are
// queued, a frame WITHOUT the control bit waits until the writer drains the
// queue, its `cancel` signal is set (it returns cancel->err()), or the writer
// stops (it returns the stop error). Control frames (Cancel, abortive errors)
// are queued at once whatever the backlog, so a cancel is never held up
// behind the data it cancels. Peak memory is about 2 x high_water_bytes plus
// the control frames and one frame per waiting-free caller above the mark.
//
// Stopping. First stop wins; its error is what later WriteFrames return.
//   * Stop(err) aborts: frames still queued are dropped (the seed era's only
//     mode). Used when the connection is already broken (read or write
//     error, protocol error).
//   * StopAfterFlush(err) is graceful: nothing new is accepted, but every
//     frame whose WriteFrame already returned ok is still written, then the
//     task exits. Used by Manager::Close so a terminal frame queued just
//     before Close (a deferred stream Close, an Error) reaches the peer when
//     the transport is healthy. Go may drop those (§4.5); we do not. The
//     flush is bounded by the caller: if the transport does not take the
//     bytes by its deadline (a peer that stopped reading), the caller closes
//     the transport, the write fails and the task exits.
// A transport write error stops the writer with that error and calls
// `on_error` once, from the writer task, outside every lock (the manager
// terminates the connection); it is not called for errors after a stop.
//
// Thread safety: WriteFrame, Stop, StopAfterFlush, WaitExited and the
// observers may be called from any task. Join is called once, by the owner,
// never from `on_error`. The transport must outlive the writer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
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
  std::string name = "mux_writer";  // task name in traces and reports
};

struct MuxWriterStats {
  uint64_t frames_queued = 0;      // frames accepted by WriteFrame
  uint64_t control_over_mark = 0;  // control frames queued above the high-water mark
  uint64_t data_waits = 0;         // data frames that had to wait for a drain
  uint64_t writes = 0;             // transport writes
  uint64_t bytes_written = 0;      // bytes the transport took
  uint64_t bytes_dropped = 0;      // queued bytes thrown away by an abortive stop
  size_t max_queued_bytes = 0;     // high-water of the queue actually reached
};

class MuxWriter final : public stream::FrameSink {
 public:
  using ErrorHandler = UniqueFunction<void(Status)>;

  // Starts the writer task.
  MuxWriter(rt::Transport& transport, ErrorHandler on_error, MuxWriterOptions options = {});
  // The task must have been joined (Join), which needs a stop first.
  ~MuxWriter() override;
  MuxWriter(const MuxWriter&) = delete;
  MuxWriter& operator=(const MuxWriter&) = delete;

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override;

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

  void Run();
  // Marks the writer stopped (first call wins). mu_ held.
  bool StopLocked(Status err, Mode mode);
  // The drain signal the next swap will set, made on first need. mu_ held.
  std::shared_ptr<rt::Signal> DrainSignalLocked();
  bool OverMarkLocked() const;

  rt::Transport& transport_;
  ErrorHandler on_error_;
  const MuxWriterOptions options_;

  mutable rt::Mutex mu_;
  rt::CondVar has_work_;                    // the writer task waits here for frames or a stop
  Buffer queued_;                           // guarded by mu_: encoded frames waiting for the writer
  Buffer in_flight_;                        // owned by the writer task between swaps
  Mode mode_ = Mode::kRunning;              // guarded by mu_
  Status stop_error_;                       // guarded by mu_
  bool writer_idle_ = false;                // guarded by mu_: the task waits on has_work_
  std::shared_ptr<rt::Signal> next_drain_;  // guarded by mu_
  MuxWriterStats stats_;                    // guarded by mu_
  rt::Signal stopped_;
  rt::Signal exited_;
  rt::Task task_;
};

}  // namespace drpc::manager
