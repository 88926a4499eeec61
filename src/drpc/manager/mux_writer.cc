#include "drpc/manager/mux_writer.h"

#include <algorithm>
#include <utility>

#include "drpc/base/check.h"

namespace drpc::manager {

MuxWriter::MuxWriter(rt::Transport& transport, ErrorHandler on_error, MuxWriterOptions options)
    : transport_(transport),
      on_error_(std::move(on_error)),
      options_(std::move(options)),
      mu_("mux_writer.mu"),
      has_work_("mux_writer.has_work"),
      stopped_("mux_writer.stopped"),
      exited_("mux_writer.exited") {
  task_ = rt::spawn(options_.name, [this] { Run(); });
}

MuxWriter::~MuxWriter() {
  DRPC_ASSERT(!task_.joinable(), "MuxWriter destroyed before its task was joined");
}

bool MuxWriter::OverMarkLocked() const {
  return options_.high_water_bytes != 0 && queued_.size() >= options_.high_water_bytes;
}

std::shared_ptr<rt::Signal> MuxWriter::DrainSignalLocked() {
  if (next_drain_ == nullptr) next_drain_ = std::make_shared<rt::Signal>("mux_writer.drained");
  return next_drain_;
}

Status MuxWriter::WriteFrame(const wire::Frame& frame, rt::Signal* cancel) {
  DRPC_ASSERT(frame.kind <= wire::kMaxKind, "a frame kind must fit in 6 bits");
  rt::Lock lock(mu_);
  // Each round waits for one drain (a swap by the writer), a cancel or a
  // stop; the writer makes progress on every round, so the loop ends unless
  // other streams refill the queue faster than the transport takes it, in
  // which case waiting is exactly the back-pressure asked for.
  bool waited = false;
  while (mode_ == Mode::kRunning && !frame.control && OverMarkLocked()) {
    if (cancel != nullptr && cancel->is_set()) {
      lock.unlock();
      return cancel->err();
    }
    if (!waited) ++stats_.data_waits;
    waited = true;
    std::shared_ptr<rt::Signal> drained = DrainSignalLocked();
    lock.unlock();
    if (cancel != nullptr) {
      rt::wait_any({drained.get(), &stopped_, cancel}, "mux_writer: data frame waits for a drain");
    } else {
      rt::wait_any({drained.get(), &stopped_}, "mux_writer: data frame waits for a drain");
    }
    lock.lock();
  }
  if (mode_ != Mode::kRunning) return stop_error_;
  if (frame.control && OverMarkLocked()) ++stats_.control_over_mark;
  wire::AppendFrame(queued_, frame);
  ++stats_.frames_queued;
  stats_.max_queued_bytes = std::max(stats_.max_queued_bytes, queued_.size());
  if (writer_idle_) {
    writer_idle_ = false;
    has_work_.notify_one();
  }
  return OkStatus();
}

bool MuxWriter::StopLocked(Status err, Mode mode) {
  DRPC_ASSERT(!err.ok(), "a writer stops with an error");
  DRPC_ASSERT(mode != Mode::kRunning, "stopping into the running mode");
  if (mode_ != Mode::kRunning) {
    // A graceful stop may still be turned into an abortive one (the flush
    // deadline passed, or the connection broke meanwhile); never the reverse.
    if (mode == Mode::kAborted && mode_ == Mode::kFlushing) {
      mode_ = Mode::kAborted;
      stats_.bytes_dropped += queued_.size();
      queued_.clear();
      has_work_.notify_all();
    }
    return false;
  }
  mode_ = mode;
  stop_error_ = std::move(err);
  if (mode == Mode::kAborted) {
    stats_.bytes_dropped += queued_.size();
    queued_.clear();
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
  Status write_error;
  for (;;) {
    std::shared_ptr<rt::Signal> drained;
    {
      rt::Lock lock(mu_);
      while (queued_.empty() && mode_ == Mode::kRunning) {
        writer_idle_ = true;
        has_work_.wait(lock, "mux_writer: wait for frames");
      }
      writer_idle_ = false;
      if (mode_ == Mode::kAborted) break;
      if (queued_.empty()) {
        DRPC_ASSERT(mode_ == Mode::kFlushing, "an empty queue ends only a flushing writer");
        break;
      }
      std::swap(queued_, in_flight_);
      drained = std::move(next_drain_);
      next_drain_ = nullptr;
      DRPC_ASSERT(queued_.empty(), "the spare buffer must be empty at a swap");
    }
    // Waiters for a drain go now: the queue is empty again.
    if (drained != nullptr) drained->set(OkStatus());
    Status written = transport_.Write(in_flight_.view());
    {
      rt::LockGuard guard(mu_);
      ++stats_.writes;
      if (written.ok()) stats_.bytes_written += in_flight_.size();
    }
    in_flight_.clear();
    if (in_flight_.capacity() > options_.max_kept_buffer_bytes) in_flight_.Release();
    if (!written.ok()) {
      write_error = std::move(written);
      break;
    }
  }
  bool first = false;
  if (!write_error.ok()) {
    rt::LockGuard guard(mu_);
    first = StopLocked(write_error, Mode::kAborted);
  }
  if (first) {
    stopped_.set(write_error);
    // Outside every lock: the manager terminates the connection, which calls
    // Stop on this writer again (a no-op now).
    on_error_(write_error);
  }
  exited_.set(OkStatus());
}

bool MuxWriter::WaitExited(rt::TimePoint deadline) {
  return exited_.wait_until(deadline, "mux_writer: wait for the writer task to exit");
}

void MuxWriter::Join() {
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
  return queued_.size();
}

}  // namespace drpc::manager
