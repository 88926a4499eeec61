// Manager: one transport, many streams (drpc-protocol.md §4, the fork's
// mux-era drpcmanager, with the hazards of §4.10 fixed).
//
//   Manager client(std::move(transport), {.role = Role::kClient});
//   Result<std::shared_ptr<Stream>> s = client.NewClientStream({.deadline = d});
//   (*s)->WriteInvoke("/svc/Method", md); (*s)->MsgSend(...); (*s)->MsgRecv(...);
//   (*s)->Close();
//
//   Manager server(std::move(transport), {.role = Role::kServer});
//   Result<ServerStream> in = server.NewServerStream();   // {stream, rpc, metadata}
//   server.Close();   // every stream canceled and finished, every task joined
//
// Tasks per connection: the reader, the MuxWriter's writer, and one deadline
// watcher. Nothing per stream.
//
// Reader (§4.3). Reads frames and routes them by stream id:
//   * stream id 0: protocol error (the connection dies);
//   * a registered stream: Stream::HandleFrame (an error kills the
//     connection). This may block while that stream's ring is full, which
//     stalls every stream of the connection (head-of-line blocking, §4.10);
//     StreamOptions::ring.max_bytes (a byte budget) makes the ring refuse
//     instead, failing only the stream whose peer overran it;
//   * an Invoke / InvokeMetadata for an unregistered id: on a client, a
//     protocol error (a server must not invoke); on a server, the pending
//     table (pending_invokes.h) after the used-id check (stream_ids.h): a
//     reused id is a protocol error. A completed Invoke makes the server
//     stream, registers it and queues it for NewServerStream, all on the
//     reader, so the next frame for that id finds it (this replaces Go's
//     invokes/pdone handshake, and the reader never waits for the
//     application). The wake-up of a NewServerStream waiter is held back
//     while the next frames are that stream's and cannot block the reader
//     (its first Message, a CloseSend, ...; until another stream's frame,
//     a second Message, or a transport read, whichever comes first), so a
//     unary call's handler usually starts with its request queued and its
//     receive does not wait: one wake-up per call instead of two. Over
//     max_concurrent_streams or a full accept queue,
//     the stream is refused with an Error frame (s=sid, m=1, no control
//     bit, so it obeys the writer's back-pressure: a flood is throttled);
//   * any other frame for an unregistered id is dropped (late frames of
//     finished streams).
//
// Ids (§4.4). Client ids are 1, 2, 3..., used up even if creating the stream
// fails. A server refuses id 0 and reused ids with the rule of stream_ids.h.
//
// Cancellation (§4.6), the one deliberate deviation from Go. Go runs a
// goroutine per live stream (manageStream) that waits for the stream's
// context and then soft-cancels. OS threads are not goroutines: a thread per
// stream costs tens of microseconds per call and thousands of threads.
// Instead:
//   * cancellation is an explicit call, Cancel(stream, err), made by the
//     caller's own task: SendCancel (a Cancel frame with the control bit)
//     then Cancel. It never closes the transport (soft cancel, as the fork);
//   * deadlines (NewClientStream's, or SetDeadline) are served by ONE
//     watcher task per connection over an ordered set of (deadline, stream
//     id); it soft-cancels with DeadlineExceeded;
//   * a stream leaves the registry through its fin callback.
// The semantics are Go's: soft cancel on deadline or cancel, the stream is
// dropped once finished, Close waits for everything.
//
// Termination (§4.7). The first error wins. Terminate(err): set term; stop
// the writer; close the registry (later registrations fail) and cancel
// every stream with err; close the transport. Errors: a read EOF becomes
// Canceled on a server and ClosedError "connection closed" on a client; a
// connection reset (kClosed, or a kConnection error whose text says reset)
// is a ClosedError; other read errors, protocol errors from the reader or a
// stream, and writer errors pass through.
//
// Close is graceful where Go's is abortive: frames whose WriteFrame returned
// before Close began (a stream's Close, an Error) are still written, for at
// most close_flush_timeout (mux_writer.h), and then the close LINGERS: the
// write side is half-closed (rt::Transport::CloseWrite, TCP's FIN after the
// last byte) and the reader goes on reading, and dropping, what the peer
// still sends until its EOF, for at most close_flush_timeout more; then the
// transport is closed. Closing both ways at once would reset a peer that
// writes in the meantime (a Close frame of a call whose reply it has not
// read yet), and a TCP reset makes the peer drop the reply it had not read.
// A peer that ends its side on EOF (any manager: a read EOF terminates the
// connection) ends the linger at once. An abortive termination (a read or
// write error, a protocol error) closes the transport at once.
// Close returns only when no task of the connection is running and every
// stream has finished (streams the application still holds are finished:
// their calls return at once, receives drain what was queued). It is
// idempotent and may be called from any task but the connection's own (a
// stream's fin callback, the writer's error callback); every caller gets
// the first call's result. The destructor calls it.
//
// The BufferPool belongs to the manager and is shared with every stream by
// shared_ptr, so buffers and streams may outlive the manager. In checked
// builds, Close and the destructor check the ledger (every buffer back in
// the pool) once no stream of the connection is alive any more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/manager/options.h"
#include "drpc/manager/pending_invokes.h"
#include "drpc/manager/planted_bug.h"
#include "drpc/manager/stream_ids.h"
#include "drpc/manager/stream_table.h"
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
  // The stream is soft-canceled with DeadlineExceeded at this time.
  rt::TimePoint deadline = rt::kNoDeadline;
};

// A stream a server accepted: the Invoke's rpc name and metadata come with it.
struct ServerStream {
  std::shared_ptr<Stream> stream;
  std::string rpc;
  wire::Metadata metadata;
};

struct ManagerStats {
  uint64_t streams_opened = 0;   // registered, either role
  uint64_t streams_refused = 0;  // server: answered with an Error frame
  uint64_t deadlines_expired = 0;
  uint64_t watcher_wakeups = 0;  // times the deadline watcher woke up (stream_table.h)
  size_t live_streams = 0;       // Stream objects of this connection not yet destroyed
};

namespace detail {
struct LiveStreams;  // counts this connection's Stream objects still alive
}

template <class Policy>
class BasicManager {
 public:
  // Starts the reader, writer and deadline watcher tasks.
  BasicManager(std::unique_ptr<rt::Transport> transport, ManagerOptions options);
  ~BasicManager();  // Close()
  BasicManager(const BasicManager&) = delete;
  BasicManager& operator=(const BasicManager&) = delete;

  // Client: a new stream with the next id, registered and ready for
  // WriteInvoke. Fails with the connection's error once it is terminating,
  // kResourceExhausted over max_concurrent_streams. In legacy mode it first
  // waits until the previous stream finished.
  Result<std::shared_ptr<Stream>> NewClientStream(ClientStreamOptions options = {});

  // Server: the next invoked stream. Blocks until one arrives, the
  // connection terminates (returns its error) or `deadline` passes
  // (kDeadlineExceeded).
  Result<ServerStream> NewServerStream(rt::TimePoint deadline = rt::kNoDeadline);

  // Soft cancel from the caller's task (see the header comment): a Cancel
  // frame, then the local Cancel. `err` (Canceled, DeadlineExceeded...) is
  // what the stream's receives return. Returns SendCancel's result.
  static Status Cancel(Stream& stream, Status err);
  // Sets or replaces a registered stream's deadline; false if the stream is
  // not registered (finished, or another connection's).
  bool SetDeadline(const Stream& stream, rt::TimePoint deadline);

  // Graceful shutdown; see the header comment. Returns the transport's
  // close error.
  Status Close();

  // Set once the connection is terminating, with the (mapped) error.
  rt::Signal& term() { return term_; }
  bool closed() const { return term_.is_set(); }
  Role role() const { return options_.role; }
  const std::shared_ptr<stream::BufferPool>& pool() const { return pool_; }
  const ManagerOptions& options() const { return options_; }
  MuxWriter& writer() { return *writer_; }
  size_t active_streams() const { return table_->size(); }
  ManagerStats stats() const;

 private:
  enum class Shutdown : uint8_t { kAbort, kGraceful };

  void ReaderLoop();
  void WatcherLoop();
  Status Route(const wire::Frame& frame);
  Status HandleInvokeFrame(const wire::Frame& frame);
  Status Admit(uint64_t stream_id, std::string rpc, wire::Metadata metadata);
  // The deferred accept wake-up (see the header comment): whether `frame`
  // may still be routed before it, and sending it.
  bool KeepsAcceptDeferred(const wire::Frame& frame) const;
  void WakeDeferredAccept();
  Status Refuse(uint64_t stream_id, const std::string& reason);
  std::shared_ptr<Stream> MakeStream(uint64_t id);
  void Terminate(Status err, Shutdown how);
  void CloseTransport();
  Status MapReadError(Status err) const;
  void CheckLedgerIfQuiet();

  const ManagerOptions options_;
  const std::unique_ptr<rt::Transport> transport_;
  const std::shared_ptr<stream::BufferPool> pool_;
  const std::shared_ptr<StreamTable> table_;
  const std::shared_ptr<detail::LiveStreams> live_;
  rt::Signal term_;
  rt::Signal transport_closed_;  // set once, with the transport's close error
  rt::Signal close_done_;        // Close finished; its result is transport_closed_'s
  rt::Signal reader_done_;       // the reader task's loop has ended (the peer's EOF, an error)
  rt::Signal terminated_;        // the first Terminate has closed the table and canceled all
  rt::Atomic<uint64_t> next_client_id_;

  mutable rt::Mutex mu_;
  rt::CondVar accept_ready_;           // NewServerStream waits here
  bool terminating_ = false;           // guarded by mu_
  bool close_started_ = false;         // guarded by mu_
  std::deque<ServerStream> accepted_;  // guarded by mu_; at most accept_queue_capacity
  ManagerStats stats_;                 // guarded by mu_ (but live_streams)

  struct NoState {};
  // Planted bug kDropInterleavedFrame only: the stream of the last frame.
  [[no_unique_address]] std::conditional_t<Policy::kBug == ManagerBug::kDropInterleavedFrame,
                                           uint64_t, NoState>
      last_routed_stream_{};
  PendingInvokes pending_;  // the reader task's
  UsedStreamIds used_ids_;  // the reader task's
  // The reader task's: the stream Admit queued without waking
  // NewServerStream yet (0: none), and whether one of its Messages was
  // already routed.
  uint64_t deferred_accept_ = 0;
  bool deferred_saw_message_ = false;

  std::unique_ptr<MuxWriter> writer_;
  rt::Task reader_;
  rt::Task watcher_;
};

using Manager = BasicManager<ManagerPolicy<>>;
extern template class BasicManager<ManagerPolicy<>>;

}  // namespace drpc::manager
