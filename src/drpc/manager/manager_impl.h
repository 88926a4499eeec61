// The template body of BasicManager (manager.h). Included by manager.cc for
// the production instantiation and by the planted-bug scenarios for theirs.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/manager/manager.h"
#include "drpc/manager/transport_source.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/reader.h"

namespace drpc::manager {
namespace detail {

struct LiveStreams {
  rt::Atomic<int64_t> count{0, "manager.live_streams"};
};

// What a manager's stream carries besides the Stream: the live count (one
// more until the stream is destroyed) and the way out of the registry (the
// fin callback). A base of ManagedStream declared before Stream, so the
// count drops only after ~Stream (ring and queued buffers gone).
class StreamHooks : public stream::FinishObserver {
 public:
  StreamHooks(std::shared_ptr<LiveStreams> live, std::weak_ptr<StreamTable> table,
              void (*on_removed)(std::shared_ptr<stream::Stream>))
      : live_(std::move(live)), table_(std::move(table)), on_removed_(on_removed) {
    live_->count.fetch_add(1);
  }
  ~StreamHooks() { live_->count.fetch_sub(1); }
  StreamHooks(const StreamHooks&) = delete;
  StreamHooks& operator=(const StreamHooks&) = delete;

  // The stream leaves the registry when it finishes; no task per stream.
  // The table is held weakly: it outlives the manager only while a stream
  // still runs, which Close rules out (and the sealed table reports).
  void OnStreamFinished(stream::Stream& stream) override {
    std::shared_ptr<StreamTable> table = table_.lock();
    DRPC_ASSERT(table != nullptr, "stream " + std::to_string(stream.id()) +
                                      " finished after its connection was destroyed");
    std::shared_ptr<stream::Stream> gone = table->OnFinished(stream.id());
    if (on_removed_ != nullptr && gone != nullptr) on_removed_(std::move(gone));
  }

 private:
  const std::shared_ptr<LiveStreams> live_;
  const std::weak_ptr<StreamTable> table_;
  void (*const on_removed_)(std::shared_ptr<stream::Stream>);
};

// A manager's stream: the Stream and its hooks in one allocation (with
// make_shared, the control block too), where a Stream plus a shared_ptr
// deleter plus a fin closure took three.
class ManagedStream final : private StreamHooks, public stream::Stream {
 public:
  ManagedStream(std::shared_ptr<LiveStreams> live, std::weak_ptr<StreamTable> table,
                void (*on_removed)(std::shared_ptr<stream::Stream>), stream::StreamConfig config)
      : StreamHooks(std::move(live), std::move(table), on_removed),
        Stream(WithObserver(std::move(config), this)) {}

 private:
  static stream::StreamConfig WithObserver(stream::StreamConfig config, StreamHooks* hooks) {
    config.finish_observer = hooks;
    return config;
  }
};

// The parked streams of ManagerBug::kLeakDroppedStreams: reachable (so leak
// checkers stay quiet) and never freed.
std::vector<std::shared_ptr<stream::Stream>>& PlantedLeakGraveyard();

// A connection reset classified by text, for transports that report it as
// a generic connection error (Go matches "connection reset by peer" and
// Windows' "forcibly closed by the remote host").
bool LooksLikeReset(const Status& err);

}  // namespace detail

template <class Policy>
BasicManager<Policy>::BasicManager(std::unique_ptr<rt::Transport> transport, ManagerOptions options)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      pool_([&] {
        stream::BufferPoolOptions pool_options = options_.pool;
        if (pool_options.name == "pool") pool_options.name = options_.name;
        return stream::BufferPool::Create(std::move(pool_options));
      }()),
      table_(std::make_shared<StreamTable>()),
      live_(std::make_shared<detail::LiveStreams>()),
      term_("manager.term"),
      transport_closed_("manager.transport_closed"),
      close_done_("manager.close_done"),
      reader_done_("manager.reader_done"),
      terminated_("manager.terminated"),
      next_client_id_(1, "manager.next_client_id"),
      mu_("manager.mu"),
      accept_ready_("manager.accept_ready"),
      pending_(PendingInvokesOptions{.max_entries = options_.max_pending_invokes,
                                     .max_packet_bytes = options_.max_invoke_bytes}),
      used_ids_(options_.max_ids_above_low_water) {
  DRPC_ASSERT(transport_ != nullptr, "a manager needs a transport");
  DRPC_ASSERT(options_.max_concurrent_streams > 0, "max_concurrent_streams must be positive");
  DRPC_ASSERT(options_.accept_queue_capacity > 0, "accept_queue_capacity must be positive");
  MuxWriterOptions writer_options = options_.writer;
  writer_options.name = options_.name + ".writer";
  writer_ = std::make_unique<MuxWriter>(
      *transport_, [this](Status err) { Terminate(std::move(err), Shutdown::kAbort); },
      std::move(writer_options));
  reader_ = rt::spawn(options_.name + ".reader", [this] { ReaderLoop(); });
  watcher_ = rt::spawn(options_.name + ".deadlines", [this] { WatcherLoop(); });
}

template <class Policy>
BasicManager<Policy>::~BasicManager() {
  (void)Close();
  CheckLedgerIfQuiet();
}

// ---- streams ----------------------------------------------------------------

template <class Policy>
std::shared_ptr<Stream> BasicManager<Policy>::MakeStream(uint64_t id) {
  void (*on_removed)(std::shared_ptr<Stream>) = nullptr;
  if constexpr (Policy::kBug == ManagerBug::kLeakDroppedStreams) {
    on_removed = [](std::shared_ptr<Stream> gone) {
      detail::PlantedLeakGraveyard().push_back(std::move(gone));
    };
  }
  return std::make_shared<detail::ManagedStream>(live_, table_, on_removed,
                                                 stream::StreamConfig{
                                                     .id = id,
                                                     .role = options_.role,
                                                     .pool = pool_,
                                                     .sink = *writer_,
                                                     .options = options_.stream,
                                                 });
}

template <class Policy>
Result<std::shared_ptr<Stream>> BasicManager<Policy>::NewClientStream(ClientStreamOptions call) {
  if (options_.role != Role::kClient) {
    return InvalidArgumentError("NewClientStream on a server connection");
  }
  if (term_.is_set()) return term_.err();
  // Used up even if the stream is not registered, as in Go.
  const uint64_t id = next_client_id_.fetch_add(1);
  DRPC_ASSERT(id != 0, "client stream ids wrapped around");
  std::shared_ptr<Stream> stream = MakeStream(id);
  const bool legacy = options_.legacy_single_stream;
  const size_t limit = legacy ? 1 : options_.max_concurrent_streams;
  constexpr bool kCheckClosed = Policy::kBug != ManagerBug::kRegisterAfterClose;
  switch (table_->template Add<kCheckClosed>(stream, limit, call.deadline, legacy)) {
    case AddResult::kAdded:
      break;
    case AddResult::kClosed:
      return term_.is_set() ? term_.err() : ClosedError("manager closed");
    case AddResult::kFull:
      return ResourceExhaustedError("too many concurrent streams (limit " + std::to_string(limit) +
                                    ")");
    case AddResult::kDuplicate:
      DRPC_ASSERT(false, "client stream id " + std::to_string(id) + " registered twice");
  }
  rt::LockGuard guard(mu_);
  ++stats_.streams_opened;
  return stream;
}

template <class Policy>
Result<ServerStream> BasicManager<Policy>::NewServerStream(rt::TimePoint deadline) {
  if (options_.role != Role::kServer) {
    return InvalidArgumentError("NewServerStream on a client connection");
  }
  rt::Lock lock(mu_);
  const bool ready = accept_ready_.wait_until(
      lock, deadline, [&] { return terminating_ || !accepted_.empty(); },
      "manager: NewServerStream waits for an invoke");
  if (terminating_) {
    lock.unlock();
    term_.wait("manager: wait for term's error");
    return term_.err();
  }
  if (!ready) return DeadlineExceededError();
  ServerStream next = std::move(accepted_.front());
  accepted_.pop_front();
  return next;
}

template <class Policy>
Status BasicManager<Policy>::Cancel(Stream& stream, Status err) {
  DRPC_ASSERT(!err.ok(), "Cancel needs an error");
  Status sent = stream.SendCancel(err);
  stream.Cancel(std::move(err));
  return sent;
}

template <class Policy>
bool BasicManager<Policy>::SetDeadline(const Stream& stream, rt::TimePoint deadline) {
  std::shared_ptr<Stream> registered = table_->Get(stream.id());
  if (registered.get() != &stream) return false;
  return table_->SetDeadline(stream.id(), deadline);
}

// ---- the reader -------------------------------------------------------------

template <class Policy>
void BasicManager<Policy>::ReaderLoop() {
  // About to read (and perhaps block): nothing held back may wait for it.
  TransportSource source(*transport_, [this] { WakeDeferredAccept(); });
  wire::FrameReader reader(source, options_.reader);
  // Ends only through an error: a read error once the transport is closed
  // (by Close or by terminate) if nothing else. Keeps reading after term so
  // a peer flushing its last frames is not blocked by us.
  Status end;
  for (;;) {
    Result<wire::Frame> frame = reader.ReadFrame();
    if (!frame.ok()) {
      end = MapReadError(frame.status());
      break;
    }
    Status routed = Route(*frame);
    if (!routed.ok()) {
      end = std::move(routed);
      break;
    }
  }
  Terminate(end, Shutdown::kAbort);
  reader_done_.set(OkStatus());
}

template <class Policy>
Status BasicManager<Policy>::Route(const wire::Frame& frame) {
  if (deferred_accept_ != 0) {
    if (KeepsAcceptDeferred(frame)) {
      if (frame.kind == wire::ToRaw(wire::Kind::kMessage) && frame.done) {
        deferred_saw_message_ = true;
      }
    } else {
      WakeDeferredAccept();
    }
  }
  if (frame.stream_id == 0) {
    return ProtocolError("frame for stream id 0 (" + std::string(wire::KindName(frame.kind)) + ")");
  }
  if constexpr (Policy::kBug == ManagerBug::kDropInterleavedFrame) {
    const bool interleaved = last_routed_stream_ != 0 && last_routed_stream_ != frame.stream_id;
    last_routed_stream_ = frame.stream_id;
    if (interleaved && !frame.done && frame.kind == wire::ToRaw(wire::Kind::kMessage)) {
      return OkStatus();  // planted: the frame is lost
    }
  }
  if (std::shared_ptr<Stream> stream = table_->Get(frame.stream_id)) {
    // `stream` keeps it alive across the call even if it finishes inside.
    return stream->HandleFrame(frame);
  }
  if (!IsInvokeKind(frame.kind)) return OkStatus();  // late or unknown: dropped (§4.3)
  if (options_.role == Role::kClient) {
    return ProtocolError("client received an " + std::string(wire::KindName(frame.kind)) +
                         " for stream " + std::to_string(frame.stream_id));
  }
  if (term_.is_set()) return OkStatus();  // no new streams while terminating
  return HandleInvokeFrame(frame);
}

template <class Policy>
Status BasicManager<Policy>::HandleInvokeFrame(const wire::Frame& frame) {
  const uint64_t sid = frame.stream_id;
  if (!pending_.Tracks(sid)) {
    if (used_ids_.IsUsed(sid)) {
      return ProtocolError("invoke for stream id " + std::to_string(sid) +
                           ", which was already used");
    }
    used_ids_.MarkUsed(sid);
  }
  Result<InvokeStep> step = pending_.Append(frame);
  if (!step.ok()) return step.status();
  switch (step->kind) {
    case InvokeStep::Kind::kIncomplete:
    case InvokeStep::Kind::kDropped:
      return OkStatus();
    case InvokeStep::Kind::kRefuse:
      return Refuse(sid, step->reason);
    case InvokeStep::Kind::kInvoke:
      return Admit(sid, std::move(step->rpc), std::move(step->metadata));
  }
  DRPC_ASSERT(false, "unknown InvokeStep kind");
  return OkStatus();
}

template <class Policy>
Status BasicManager<Policy>::Admit(uint64_t stream_id, std::string rpc, wire::Metadata metadata) {
  bool queue_full = false;
  {
    rt::LockGuard guard(mu_);
    if (terminating_) return OkStatus();
    // Only this task adds to the queue, so it cannot fill up before the push.
    queue_full = accepted_.size() >= options_.accept_queue_capacity;
  }
  if (queue_full) {
    return Refuse(stream_id, "drpc: server busy: too many streams waiting to be accepted (limit " +
                                 std::to_string(options_.accept_queue_capacity) + ")");
  }
  std::shared_ptr<Stream> stream = MakeStream(stream_id);
  constexpr bool kCheckClosed = Policy::kBug != ManagerBug::kRegisterAfterClose;
  switch (table_->template Add<kCheckClosed>(stream, options_.max_concurrent_streams,
                                             rt::kNoDeadline, /*wait_for_room=*/false)) {
    case AddResult::kAdded:
      break;
    case AddResult::kClosed:
      return OkStatus();  // terminating: the stream is dropped unseen
    case AddResult::kFull:
      return Refuse(stream_id, "drpc: too many concurrent streams (limit " +
                                   std::to_string(options_.max_concurrent_streams) + ")");
    case AddResult::kDuplicate:
      DRPC_ASSERT(false, "stream id " + std::to_string(stream_id) +
                             " registered twice: the used-id check must refuse it");
  }
  rt::LockGuard guard(mu_);
  ++stats_.streams_opened;
  if (terminating_ && Policy::kBug != ManagerBug::kRegisterAfterClose) {
    // Terminate cancels it (it was registered before the table closed).
    return OkStatus();
  }
  accepted_.push_back(ServerStream{std::move(stream), std::move(rpc), std::move(metadata)});
  // Woken later (WakeDeferredAccept), once the frames that follow the
  // Invoke in what was read are routed. A waiter that looks meanwhile
  // takes it anyway: the predicate is the queue, not the wake-up.
  DRPC_ASSERT(deferred_accept_ == 0, "an earlier accept wake-up was not sent");
  deferred_accept_ = stream_id;
  deferred_saw_message_ = false;
  return OkStatus();
}

template <class Policy>
bool BasicManager<Policy>::KeepsAcceptDeferred(const wire::Frame& frame) const {
  // Only the new stream's own frames, and not a second Message: routing
  // one may block on the stream's ring, whose consumer is the very task
  // the wake-up is for. Every other kind is handled without blocking.
  if (frame.stream_id != deferred_accept_) return false;
  return frame.kind != wire::ToRaw(wire::Kind::kMessage) || !deferred_saw_message_;
}

template <class Policy>
void BasicManager<Policy>::WakeDeferredAccept() {
  if (deferred_accept_ == 0) return;
  deferred_accept_ = 0;
  rt::LockGuard guard(mu_);
  accept_ready_.notify_one();
}

template <class Policy>
Status BasicManager<Policy>::Refuse(uint64_t stream_id, const std::string& reason) {
  {
    rt::LockGuard guard(mu_);
    ++stats_.streams_refused;
  }
  Buffer payload;
  wire::EncodeErrorPayload(payload, 0, reason);
  // The later era's rejectStream: message 1 of a stream that never existed,
  // no control bit, so it waits on back-pressure like data (term cancels
  // the wait). A writer error is the writer's to report.
  const wire::Frame frame{.stream_id = stream_id,
                          .message_id = 1,
                          .kind = wire::ToRaw(wire::Kind::kError),
                          .done = true,
                          .control = false,
                          .data = payload.view()};
  (void)writer_->WriteFrame(frame, &term_);
  return OkStatus();
}

template <class Policy>
Status BasicManager<Policy>::MapReadError(Status err) const {
  DRPC_ASSERT(!err.ok(), "mapping a read error that is not one");
  if (err.is(ErrorKind::kEof)) {
    // §4.7: the peer hung up in order.
    if (options_.role == Role::kServer) return CanceledError();
    return ClosedError("connection closed");
  }
  if (err.is(ErrorKind::kConnection) && detail::LooksLikeReset(err)) {
    return ClosedError(err.message());
  }
  return err;
}

// ---- deadlines --------------------------------------------------------------

template <class Policy>
void BasicManager<Policy>::WatcherLoop() {
  // Ends when the table closes (terminate).
  for (;;) {
    std::vector<std::shared_ptr<Stream>> expired =
        table_->WaitExpired("manager: deadline watcher waits for the next deadline");
    if (expired.empty()) return;
    {
      rt::LockGuard guard(mu_);
      stats_.deadlines_expired += expired.size();
    }
    for (const std::shared_ptr<Stream>& stream : expired) {
      (void)Cancel(*stream, DeadlineExceededError());
    }
  }
}

// ---- termination ------------------------------------------------------------

template <class Policy>
void BasicManager<Policy>::Terminate(Status err, Shutdown how) {
  DRPC_ASSERT(!err.ok(), "terminate needs an error");
  std::deque<ServerStream> unaccepted;
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

template <class Policy>
void BasicManager<Policy>::CloseTransport() {
  if (transport_closed_.is_set()) return;
  Status closed = transport_->Close();  // idempotent, may run twice in a race
  transport_closed_.set(std::move(closed));
}

template <class Policy>
Status BasicManager<Policy>::Close() {
  bool first = false;
  {
    rt::LockGuard guard(mu_);
    first = !close_started_;
    close_started_ = true;
  }
  if (!first) {
    // Another caller does the work; everyone returns its result.
    close_done_.wait("manager: Close waits for the first Close");
    return transport_closed_.err();
  }
  Terminate(ClosedError("manager closed: Close called"), Shutdown::kGraceful);
  // A terminate that began earlier on another task (a read error) may still
  // be closing the table and canceling the streams.
  terminated_.wait("manager: Close waits for the terminate in progress");
  const bool flushed = writer_->WaitExited(rt::now() + options_.close_flush_timeout);
  if (flushed) {
    // FIN after the last frame; the linger below waits for the peer's.
    (void)transport_->CloseWrite();
  } else {
    writer_->Stop(ClosedError("manager closed: flush timed out"));
    CloseTransport();  // wakes a writer stuck in a write
  }
  // Terminate canceled every stream, so each finishes as soon as the calls
  // in it return (none waits for the transport).
  if constexpr (Policy::kBug == ManagerBug::kCloseWaitsForTermOnly) {
    // Planted: every stream was canceled, so every one is terminated; call
    // that done and forget them, without waiting for calls in flight.
    (void)table_->TakeAll();
  } else {
    table_->WaitEmpty("manager: Close waits for every stream to finish");
  }
  table_->Seal();
  if (flushed) {
    // Linger (see the header comment): read and drop until the peer's EOF
    // ends the reader, or the time is up. A transport already closed (an
    // abortive end) ends the reader at once.
    (void)reader_done_.wait_until(rt::now() + options_.close_flush_timeout,
                                  "manager: Close lingers until the peer's EOF");
  }
  CloseTransport();  // wakes the reader's read
  writer_->Join();
  reader_.join();
  watcher_.join();
  CheckLedgerIfQuiet();
  close_done_.set(OkStatus());
  return transport_closed_.err();
}

template <class Policy>
void BasicManager<Policy>::CheckLedgerIfQuiet() {
  if constexpr (stream::kCheckedBuild) {
    // Every stream is gone, so every ring is, and no Lease escapes a stream:
    // each buffer must be back in the pool.
    if (live_->count.load() == 0) pool_->CheckAllReturned();
  }
}

template <class Policy>
ManagerStats BasicManager<Policy>::stats() const {
  ManagerStats out;
  {
    rt::LockGuard guard(mu_);
    out = stats_;
  }
  out.live_streams = static_cast<size_t>(live_->count.load());
  out.watcher_wakeups = table_->watcher_wakeups();
  return out;
}

}  // namespace drpc::manager
