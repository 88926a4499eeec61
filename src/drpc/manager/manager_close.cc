// Manager: termination (the first error wins) and Close (graceful: flush,
// half-close, linger); docs/manager.md, "Closing".
#include <algorithm>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/manager/internal/managed_stream.h"
#include "drpc/manager/internal/stream_table.h"
#include "drpc/manager/manager.h"

namespace drpc::manager {

void Manager::Terminate(Status err, Shutdown how) {
  DRPC_ASSERT(!err.ok(), "terminate needs an error");
  Fifo<ServerStream> unaccepted;
  {
    rt::LockGuard guard(mu_);
    if (terminating_) {
      // A later abortive terminate (a read or write error during a graceful
      // Close) still makes the writer drop what it has not written.
      if (how == Shutdown::kAbort) writer_->Stop(err);
      return;
    }
    terminating_ = true;
    unaccepted.swap(accepted_);
    accept_ready_.notify_all();
    accept_room_.notify_all();
  }
  term_.set(err);
  if (how == Shutdown::kGraceful) {
    writer_->StopAfterFlush(err);
  } else {
    writer_->Stop(err);
  }
  // Outside every lock of ours: Cancel runs fin callbacks, which take the
  // table's lock.
  for (const std::shared_ptr<Stream>& stream : table_->Close()) stream->Cancel(err);
  unaccepted.clear();  // registered, so canceled above
  if (how == Shutdown::kAbort) CloseTransport();
  terminated_.set(OkStatus());
}

void Manager::CloseTransport() {
  if (transport_closed_.is_set()) return;
  Status closed = transport_->Close();  // idempotent, may run twice in a race
  transport_closed_.set(std::move(closed));
}

void Manager::StartClose() {
  Terminate(ClosedError("manager closed: Close called"), Shutdown::kGraceful);
}

void Manager::CloseAbortively(const char* why) {
  writer_->Stop(ClosedError(why));
  CloseTransport();  // wakes a writer stuck in a write, and the reader
}

Status Manager::Close(rt::TimePoint deadline) {
  bool first = false;
  {
    rt::LockGuard guard(mu_);
    first = !close_started_;
    close_started_ = true;
  }
  if (!first) {
    // Another caller does the work; everyone returns its result. Past this
    // caller's deadline the first one's flush and linger are cut short.
    if (!close_done_.wait_until(deadline, "manager: Close waits for the first Close")) {
      CloseAbortively("manager closed: flush cut short by a Close deadline");
      close_done_.wait("manager: Close waits for the first Close");
    }
    return transport_closed_.err();
  }
  StartClose();
  // A terminate that began earlier on another task (a read error) may still
  // be closing the table and canceling the streams.
  terminated_.wait("manager: Close waits for the terminate in progress");
  const rt::TimePoint flush_until = std::min(deadline, rt::now() + options_.close_flush_timeout);
  const bool flushed = writer_->WaitExited(flush_until);
  if (flushed) {
    // FIN after the last frame; the linger below waits for the peer's.
    (void)transport_->CloseWrite();
  } else {
    CloseAbortively("manager closed: flush timed out");
  }
  // Terminate canceled every stream, so each finishes as soon as the calls
  // in it return (none waits for the transport).
  if (DRPC_PLANT(kManagerCloseWaitsForTermOnly)) {
    // Every stream is terminated (canceled): forget them without waiting
    // for the calls still in flight, which then finish after Close.
    (void)table_->TakeAll();
  } else {
    table_->WaitEmpty("manager: Close waits for every stream to finish");
  }
  table_->Seal();
  if (flushed) {
    // Linger: read and drop until the peer's EOF ends the reader, or the
    // time is up. A transport already closed (an abortive end) ends the
    // reader at once.
    if (DRPC_PLANT(kManagerLingerUnbounded)) {
      reader_done_.wait("manager: Close lingers until the peer's EOF");
    } else {
      (void)reader_done_.wait_until(std::min(deadline, rt::now() + options_.close_flush_timeout),
                                    "manager: Close lingers until the peer's EOF");
    }
  }
  CloseTransport();  // wakes the reader's read
  writer_->Join();
  if (reader_.joinable()) reader_.join();  // a task that never started is not
  if (watcher_.joinable()) watcher_.join();
  pool_->meter().AddTasks(-kManagerTasks);
  CheckLedgerIfQuiet();
  close_done_.set(OkStatus());
  return transport_closed_.err();
}

void Manager::CheckLedgerIfQuiet() {
  if constexpr (DRPC_CHECKED != 0) {
    // Every stream is gone, so every ring is, and no Lease escapes a stream:
    // each buffer must be back in the pool.
    if (live_->count.load() == 0) pool_->CheckAllReturned();
  }
}

}  // namespace drpc::manager
