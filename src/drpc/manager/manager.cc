// Manager: construction, opening and accepting streams, deadlines, stats.
// The reader is in manager_reader.cc, termination and Close in manager_close.cc.
#include "drpc/manager/manager.h"

#include <string>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/manager/internal/managed_stream.h"
#include "drpc/manager/internal/stream_recycler.h"
#include "drpc/manager/internal/stream_table.h"

namespace drpc::manager {
namespace {

// What a connection can hold whatever the peer does, bounded by its
// options rather than by the budget: the frame reader's buffer, the
// writer's queue and batch, the receive rings' slot arrays and the invokes
// being assembled. The budget's enforced limits leave room for it, so that
// the total never passes max_bytes (docs/resources.md, "The budget").
int64_t StructuralBytes(const ManagerOptions& o) {
  const size_t frame_reader =
      o.reader.max_frame_size + wire::kMaxFrameOverhead + o.reader.read_size;
  const int64_t split = o.stream.split_size;
  const size_t frame = (split > 0    ? static_cast<size_t>(split)
                        : split == 0 ? size_t{64} << 10
                                     : o.stream.max_packet_size) +
                       wire::kMaxFrameOverhead;
  // The queue holds below the mark plus one batch (at most four frames);
  // its capacity at most doubles that, and the batch in flight is a
  // swapped queue.
  const size_t writer = 4 * (o.writer.high_water_bytes + 4 * frame);
  const size_t slots = o.max_concurrent_streams * o.stream.ring.capacity * sizeof(void*);
  const size_t invokes = o.max_pending_invokes * o.max_invoke_bytes;
  return static_cast<int64_t>(frame_reader + writer + slots + invokes);
}

// The enforced limits of o.budget.max_bytes (ResourceMeter::SetLimits):
// what is left after the structural bytes, a quarter of it kept for this
// side's own senders.
void SetBudgetLimits(ResourceMeter& meter, const ManagerOptions& o) {
  const auto max = static_cast<int64_t>(o.budget.max_bytes);
  const int64_t structural = StructuralBytes(o);
  // A budget below the structural bytes cannot be kept: the rest is shared
  // as if half of it were left.
  const int64_t send = structural < max / 2 ? max - structural : max / 2;
  meter.SetLimits(/*receive_limit=*/send - send / 4, /*send_limit=*/send);
}

}  // namespace

Manager::Manager(std::unique_ptr<rt::Transport> transport, ManagerOptions options)
    : options_(std::move(options)),
      timer_(options_.timeouts, options_.role, [this] { table_->WakeWatcher(); }),
      transport_(options_.timeouts.write_stall > rt::Duration::zero()
                     ? TimedTransport(std::move(transport), timer_)
                     : std::move(transport)),
      pool_([&] {
        stream::BufferPoolOptions pool_options = options_.pool;
        if (pool_options.name == "pool") pool_options.name = options_.name;
        // The connection's meter: the pool, its rings and streams, the
        // reader and the writer all count in it.
        if (pool_options.meter == nullptr) pool_options.meter = std::make_shared<ResourceMeter>();
        return stream::BufferPool::Create(std::move(pool_options));
      }()),
      table_(std::make_shared<StreamTable>()),
      live_(std::make_shared<LiveStreams>()),
      recycler_(std::make_shared<StreamRecycler>(pool_->shared_meter())),
      term_("manager.term"),
      transport_closed_("manager.transport_closed"),
      close_done_("manager.close_done"),
      reader_done_("manager.reader_done"),
      terminated_("manager.terminated"),
      mu_("manager.mu"),
      accept_ready_("manager.accept_ready"),
      accept_room_("manager.accept_room"),
      pending_(PendingInvokesOptions{.max_entries = options_.max_pending_invokes,
                                     .max_packet_bytes = options_.max_invoke_bytes,
                                     .meter = &pool_->meter()}),
      used_ids_(options_.max_ids_above_low_water) {
  DRPC_ASSERT(transport_ != nullptr, "a manager needs a transport");
  DRPC_ASSERT(options_.timeouts.first_frame >= rt::Duration::zero() &&
                  options_.timeouts.idle >= rt::Duration::zero() &&
                  options_.timeouts.partial_frame >= rt::Duration::zero() &&
                  options_.timeouts.write_stall >= rt::Duration::zero(),
              "a timeout is positive, or zero for off");
  DRPC_ASSERT(options_.max_concurrent_streams > 0, "max_concurrent_streams must be positive");
  DRPC_ASSERT(options_.accept_queue_capacity > 0, "accept_queue_capacity must be positive");
  if (options_.role == Role::kServer) {
    spare_names_.reserve(kMaxSpareNames);
    spare_metadata_.reserve(kMaxSpareMetadata);
  }
  SetBudgetLimits(pool_->meter(), options_);
  MuxWriterOptions writer_options = options_.writer;
  writer_options.name = options_.name + ".writer";
  writer_ = std::make_unique<MuxWriter>(
      *transport_, [this](Status err) { Terminate(std::move(err), Shutdown::kAbort); },
      std::move(writer_options), &pool_->meter());
  if (options_.role == Role::kClient) open_order_ = std::make_shared<OpenOrder>(*writer_);
  // A task that cannot be started ends the connection at once with the
  // error (ResourceExhausted): every call on it fails with that code, and
  // Close joins only the tasks that did start.
  Status started = writer_->start_error();
  if (started.ok()) {
    Result<rt::Task> reader = rt::TrySpawn(options_.name + ".reader", [this] { ReaderLoop(); });
    if (reader.ok()) {
      reader_ = std::move(*reader);
    } else {
      started = reader.status();
      reader_done_.set(OkStatus());  // no reader: nothing to linger for
    }
  } else {
    reader_done_.set(OkStatus());
  }
  if (started.ok()) {
    Result<rt::Task> watcher =
        rt::TrySpawn(options_.name + ".deadlines", [this] { WatcherLoop(); });
    if (watcher.ok()) {
      watcher_ = std::move(*watcher);
    } else {
      started = watcher.status();
    }
  }
  if (!started.ok()) Terminate(std::move(started), Shutdown::kAbort);
  // Counted as three whether or not each started (a task that could not
  // start ends the connection at once): Close subtracts the same.
  pool_->meter().AddTasks(kManagerTasks);
}

Manager::~Manager() {
  (void)Close();
  CheckLedgerIfQuiet();
}

// ---- streams ----------------------------------------------------------------

std::shared_ptr<Stream> Manager::MakeStream(uint64_t id) {
  stream::FrameSink& sink =
      open_order_ != nullptr ? static_cast<stream::FrameSink&>(*open_order_) : *writer_;
  // A finished stream's block and marshal buffer, if the connection has
  // kept any: no allocation for a stream on a warm connection.
  StreamRecycler::Spare spare = recycler_->Take();
  return std::allocate_shared<ManagedStream>(
      StreamRecycler::Allocator<ManagedStream>(recycler_, spare), live_, table_, open_order_,
      recycler_,
      stream::StreamConfig{
          .id = id,
          .role = options_.role,
          .pool = pool_,
          .sink = sink,
          .options = options_.stream,
          .marshal_buffer = std::move(spare.marshal),
      });
}

Result<std::shared_ptr<Stream>> Manager::NewClientStream(ClientStreamOptions call) {
  if (options_.role != Role::kClient) {
    return InvalidArgumentError("NewClientStream on a server connection");
  }
  if (term_.is_set()) return term_.err();
  const bool legacy = options_.legacy_single_stream;
  const size_t limit = legacy ? 1 : options_.max_concurrent_streams;
  if (legacy) {
    // The one slot is claimed before the id is taken: the next opener can
    // claim it only once this stream finished, so ids are taken in the
    // order the streams reach the wire.
    switch (table_->ClaimRoom(limit, call.deadline, call.cancel)) {
      case ClaimResult::kClaimed:
        break;
      case ClaimResult::kClosed:
        return term_.is_set() ? term_.err() : ClosedError("manager closed");
      case ClaimResult::kDeadline:
        return DeadlineExceededError();
      case ClaimResult::kCanceled:
        return call.cancel->err();
    }
  }
  // Used up even if the stream is not registered, as in Go.
  const uint64_t id = open_order_->Reserve();
  std::shared_ptr<Stream> stream = MakeStream(id);
  const AddResult added = table_->Add(stream, limit, call.deadline, /*claimed=*/legacy);
  if (added != AddResult::kAdded) open_order_->Forget(id);
  switch (added) {
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

namespace {

// A done call's metadata small enough to keep for reuse: a bounded number of
// entries, each string within the name bound.
bool WorthKeeping(const wire::Metadata& metadata) {
  if (metadata.empty() || metadata.size() > kMaxSpareMetadataEntries) return false;
  for (const auto& [key, value] : metadata) {
    if (key.capacity() > kMaxSpareNameBytes || value.capacity() > kMaxSpareNameBytes) return false;
  }
  return true;
}

}  // namespace

Result<ServerStream> Manager::NewServerStream(rt::TimePoint deadline, ServerStream done) {
  if (options_.role != Role::kServer) {
    return InvalidArgumentError("NewServerStream on a client connection");
  }
  done.stream = nullptr;  // outside the lock: it may be the stream's last reference
  const bool keep_metadata = WorthKeeping(done.metadata);
  rt::Lock lock(mu_);
  // A name on the heap, not too large, while there is room: kept.
  if (done.rpc.capacity() > std::string().capacity() && done.rpc.capacity() <= kMaxSpareNameBytes &&
      spare_names_.size() < kMaxSpareNames) {
    done.rpc.clear();
    spare_names_.push_back(std::move(done.rpc));
  }
  if (keep_metadata && spare_metadata_.size() < kMaxSpareMetadata) {
    spare_metadata_.push_back(std::move(done.metadata));
  }
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
  // Only when the reader waits: a wake-up per call would cost a context
  // switch each.
  if (reader_waits_for_room_) accept_room_.notify_one();
  return next;
}

Manager::AcceptRoom Manager::WaitForAcceptRoom() {
  {
    rt::LockGuard guard(mu_);
    if (terminating_) return AcceptRoom::kTerminating;
    if (accepted_.size() < options_.accept_queue_capacity) return AcceptRoom::kRoom;
  }
  // The streams already queued must reach their acceptors before the
  // reader waits for those to take them.
  WakeDeferredAccept();
  rt::Lock lock(mu_);
  reader_waits_for_room_ = true;
  const bool room = accept_room_.wait_until(
      lock, rt::now() + options_.accept_queue_wait,
      [&] { return terminating_ || accepted_.size() < options_.accept_queue_capacity; },
      "manager: the reader waits for room in the accept queue");
  reader_waits_for_room_ = false;
  if (terminating_) return AcceptRoom::kTerminating;
  return room ? AcceptRoom::kRoom : AcceptRoom::kFull;
}

Status Manager::Cancel(Stream& stream, Status err) {
  DRPC_ASSERT(!err.ok(), "Cancel needs an error");
  Status sent = stream.SendCancel(err);
  stream.Cancel(std::move(err));
  return sent;
}

void Manager::WakeOpeners() { table_->WakeClaimers(); }

// ---- deadlines --------------------------------------------------------------

bool Manager::SetDeadline(const Stream& stream, rt::TimePoint deadline) {
  std::shared_ptr<Stream> registered = table_->Get(stream.id());
  if (registered.get() != &stream) return false;
  return table_->SetDeadline(stream.id(), deadline);
}

void Manager::WatcherLoop() {
  // Ends when the table closes (terminate).
  for (;;) {
    std::vector<std::shared_ptr<Stream>> expired =
        table_->WaitExpired("manager: deadline watcher waits for the next deadline", &timer_);
    if (expired.empty()) {
      if (table_->closed()) return;
      // A connection timeout may be due (docs/manager.md, "Timeouts"); the
      // peer may also have made progress since the watcher woke.
      if (Status err = timer_.Expired(rt::now(), table_->empty_since()); !err.ok()) {
        Terminate(std::move(err), Shutdown::kAbort);
      }
      continue;
    }
    {
      rt::LockGuard guard(mu_);
      stats_.deadlines_expired += expired.size();
    }
    for (const std::shared_ptr<Stream>& stream : expired) {
      (void)Cancel(*stream, DeadlineExceededError());
    }
  }
}

// ---- observers --------------------------------------------------------------

size_t Manager::active_streams() const { return table_->size(); }

ManagerStats Manager::stats() const {
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
