// Manager: one transport, many streams (drpc-protocol.md §4). It runs a
// connection's reader, its writer (MuxWriter) and a deadline watcher: three
// tasks per connection, none per stream. How it routes, numbers, cancels
// and closes is in docs/manager.md.
//
//   Manager client(std::move(transport), {.role = Role::kClient});
//   Result<std::shared_ptr<Stream>> s = client.NewClientStream({.deadline = d});
//   (*s)->WriteInvoke("/svc/Method", md); (*s)->MsgSend(...); (*s)->MsgRecv(...);
//   (*s)->Close();
//
//   Manager server(std::move(transport), {.role = Role::kServer});
//   Result<ServerStream> in = server.NewServerStream();  // {stream, rpc, metadata}
//   server.Close();  // every stream canceled and finished, every task joined
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/manager/internal/fifo.h"
#include "drpc/manager/internal/open_order.h"
#include "drpc/manager/internal/pending_invokes.h"
#include "drpc/manager/internal/stream_ids.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/manager/options.h"
#include "drpc/manager/timeouts.h"
#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/metadata.h"

namespace drpc::manager {

using stream::Stream;

struct ClientStreamOptions {
  // The stream is soft-canceled with DeadlineExceeded at this time. In
  // legacy mode NewClientStream also waits for the slot until then at most.
  rt::TimePoint deadline = rt::kNoDeadline;
  // Legacy mode: once set, NewClientStream stops waiting for the slot and
  // returns its error. Whoever sets it calls WakeOpeners. Null: none.
  const rt::Signal* cancel = nullptr;
};

// A stream a server accepted: the Invoke's rpc name and metadata come with it.
struct ServerStream {
  std::shared_ptr<Stream> stream;
  std::string rpc;
  wire::Metadata metadata;
};

// The code of the Error frame a server refuses a stream with (a limit
// reached: streams, pending or oversized invokes, the accept queue): gRPC's
// ResourceExhausted, so the client reads it as that code, not as Unknown.
inline constexpr uint64_t kRefusalCode = 8;

// The rpc names a server connection keeps for reuse (Manager::
// NewServerStream's `done`), and the largest it keeps: a fixed bound
// whatever the peer sends, about 1 KiB (docs/resources.md).
inline constexpr size_t kMaxSpareNames = 4;
inline constexpr size_t kMaxSpareNameBytes = 256;
// The same for metadata maps: at most kMaxSpareMetadata of them, each of at
// most kMaxSpareMetadataEntries entries whose strings are each at most
// kMaxSpareNameBytes: about 20 KiB.
inline constexpr size_t kMaxSpareMetadata = 4;
inline constexpr size_t kMaxSpareMetadataEntries = 8;

// The tasks every connection runs (its writer, reader and deadline
// watcher), counted in its meter from construction until Close joins them.
inline constexpr int64_t kManagerTasks = 3;

struct ManagerStats {
  uint64_t streams_opened = 0;   // registered, either role
  uint64_t streams_refused = 0;  // server: answered with an Error frame
  uint64_t deadlines_expired = 0;
  uint64_t watcher_wakeups = 0;  // times the deadline watcher woke up (docs/manager.md)
  size_t live_streams = 0;       // Stream objects of this connection not yet destroyed
};

struct LiveStreams;    // internal/managed_stream.h
class StreamRecycler;  // internal/stream_recycler.h
class StreamTable;     // internal/stream_table.h

class Manager {
 public:
  // Starts the reader, writer and deadline watcher tasks.
  Manager(std::unique_ptr<rt::Transport> transport, ManagerOptions options);
  ~Manager();  // Close()
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Client: a new stream with the next id, registered and ready for
  // WriteInvoke. Fails with the connection's error once it is terminating,
  // kResourceExhausted over max_concurrent_streams. In legacy mode it first
  // waits until the previous stream finished, its deadline passed
  // (kDeadlineExceeded) or its cancel was set (the cancel's error). Ids
  // reach the wire in increasing order whatever order streams write in:
  // the wire id is given at the first frame (docs/manager.md, "Stream ids").
  Result<std::shared_ptr<Stream>> NewClientStream(ClientStreamOptions options = {});

  // Server: the next invoked stream. Blocks until one arrives, the
  // connection terminates (returns its error) or `deadline` passes
  // (kDeadlineExceeded).
  Result<ServerStream> NewServerStream(rt::TimePoint deadline = rt::kNoDeadline) {
    return NewServerStream(deadline, ServerStream{});
  }
  // The same; `done` is a stream this caller accepted before and is
  // finished with: its rpc name's and metadata's storage are kept for later
  // streams', so a server that hands them back allocates none per call
  // (docs/resources.md, "Recycled per call"). Its stream is let go.
  Result<ServerStream> NewServerStream(rt::TimePoint deadline, ServerStream done);

  // Soft cancel from the caller's task (docs/manager.md, "Cancellation and
  // deadlines"): a Cancel frame, then the local Cancel. `err` (Canceled,
  // DeadlineExceeded...) is what the stream's receives return. Returns
  // SendCancel's result.
  static Status Cancel(Stream& stream, Status err);
  // Legacy mode: NewClientStream callers waiting for the slot look at their
  // ClientStreamOptions::cancel again. Call it after setting one.
  void WakeOpeners();
  // Sets or replaces a registered stream's deadline; false if the stream is
  // not registered (finished, or another connection's).
  bool SetDeadline(const Stream& stream, rt::TimePoint deadline);

  // Graceful shutdown (docs/manager.md, "Closing"): returns once every
  // stream has finished and every task of the connection has ended.
  // Idempotent; call it from any task but the connection's own (a fin
  // callback, the writer's error callback). Every caller gets the first
  // call's result: the transport's close error.
  Status Close() { return Close(rt::kNoDeadline); }
  // Close whose flush and linger end by `deadline` at the latest (each also
  // by close_flush_timeout); then the connection is closed abortively
  // (queued frames are lost). A Close already running on another task is cut
  // short the same way at `deadline`. Returns by the deadline unless a call
  // in flight ignores its cancellation.
  Status Close(rt::TimePoint deadline);
  // Begins a graceful Close without waiting: new streams are refused, every
  // stream is canceled, the writer flushes. Lets a server close many
  // connections in parallel; Close then waits for the end.
  void StartClose();

  // Set once the connection is terminating, with the (mapped) error.
  rt::Signal& term() { return term_; }
  bool closed() const { return term_.is_set(); }
  Role role() const { return options_.role; }
  const std::shared_ptr<stream::BufferPool>& pool() const { return pool_; }
  const ManagerOptions& options() const { return options_; }
  MuxWriter& writer() { return *writer_; }
  size_t active_streams() const;
  ManagerStats stats() const;
  // What the connection holds now (docs/resources.md): lock-free, cheap, so
  // a simulator step hook may call it. The meter outlives the manager while
  // anyone holds it (or the pool, or a stream of the connection).
  ResourceUsage resources() const { return pool_->meter().Snapshot(); }
  const std::shared_ptr<ResourceMeter>& meter() const { return pool_->shared_meter(); }

 private:
  enum class Shutdown : uint8_t { kAbort, kGraceful };

  void ReaderLoop();
  void WatcherLoop();
  Status Route(const wire::Frame& frame);
  Status HandleInvokeFrame(const wire::Frame& frame);
  Status Admit(uint64_t stream_id, std::string rpc, wire::Metadata metadata);
  // The reader's back-pressure on the accept queue: waits (at most
  // accept_queue_wait) until it has room. kRoom, kFull (the wait ran out) or
  // kTerminating.
  enum class AcceptRoom : uint8_t { kRoom, kFull, kTerminating };
  AcceptRoom WaitForAcceptRoom();
  // The deferred accept wake-up (docs/manager.md, "The reader"): whether
  // `frame` may still be routed before it, and sending it.
  bool KeepsAcceptDeferred(const wire::Frame& frame) const;
  void WakeDeferredAccept();
  Status Refuse(uint64_t stream_id, const std::string& reason);
  std::shared_ptr<Stream> MakeStream(uint64_t id);
  void Terminate(Status err, Shutdown how);
  void CloseTransport();
  // Drops what the writer has queued and closes the transport.
  void CloseAbortively(const char* why);
  Status MapReadError(Status err) const;
  // Plant kManagerDropInterleavedFrame: a non-final Message frame that
  // follows another stream's frame is to be lost.
  bool PlantedDropsInterleaved(const wire::Frame& frame);
  void CheckLedgerIfQuiet();

  const ManagerOptions options_;
  // The connection's timeouts (timeouts.h): stamped by the reader and the
  // transport, served by the deadline watcher.
  ConnectionTimer timer_;
  const std::unique_ptr<rt::Transport> transport_;
  const std::shared_ptr<stream::BufferPool> pool_;
  const std::shared_ptr<StreamTable> table_;
  const std::shared_ptr<LiveStreams> live_;
  // What finished streams leave for the next ones (docs/resources.md).
  const std::shared_ptr<StreamRecycler> recycler_;
  rt::Signal term_;
  rt::Signal transport_closed_;  // set once, with the transport's close error
  rt::Signal close_done_;        // Close finished; its result is transport_closed_'s
  rt::Signal reader_done_;       // the reader task's loop has ended (the peer's EOF, an error)
  rt::Signal terminated_;        // the first Terminate has closed the table and canceled all

  mutable rt::Mutex mu_;
  rt::CondVar accept_ready_;            // NewServerStream waits here
  rt::CondVar accept_room_;             // the reader waits here for room in accepted_
  bool reader_waits_for_room_ = false;  // guarded by mu_
  bool terminating_ = false;            // guarded by mu_
  bool close_started_ = false;          // guarded by mu_
  Fifo<ServerStream> accepted_;         // guarded by mu_; at most accept_queue_capacity
  ManagerStats stats_;                  // guarded by mu_ (but live_streams)
  // guarded by mu_: rpc names handed back to NewServerStream, whose storage
  // the reader takes for the next invokes' names (PendingInvokes::
  // GiveNameStorage). At most kMaxSpareNames of at most kMaxSpareNameBytes
  // each; reserved up front.
  std::vector<std::string> spare_names_;
  // guarded by mu_: the same for metadata maps (PendingInvokes::
  // GiveMetadataStorage), within kMaxSpareMetadata and its bounds.
  std::vector<wire::Metadata> spare_metadata_;

  uint64_t last_routed_stream_ = 0;  // the reader task's; PlantedDropsInterleaved only
  PendingInvokes pending_;           // the reader task's
  UsedStreamIds used_ids_;           // the reader task's
  // The reader task's: the stream Admit queued without waking
  // NewServerStream yet (0: none), and whether one of its Messages was
  // already routed.
  uint64_t deferred_accept_ = 0;
  bool deferred_saw_message_ = false;

  std::unique_ptr<MuxWriter> writer_;
  std::shared_ptr<OpenOrder> open_order_;  // client: in front of writer_
  rt::Task reader_;
  rt::Task watcher_;
};

}  // namespace drpc::manager
