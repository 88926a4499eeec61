// Server: serves calls from connections (drpc-protocol.md §5.2).
//
//   rpc::Mux mux;  ...register...
//   rpc::Server server(mux);
//   auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
//   rt::Task serving = rt::spawn("serve", [&] { (void)server.Serve(**listener); });
//   ...
//   server.Stop(std::chrono::seconds(5));   // graceful; joins everything
//   serving.join();
//
// Tasks. Serve runs the accept loop on the calling task. Each accepted
// connection gets a Server manager (its reader, writer and deadline tasks),
// a supervising task, and workers: a worker waits for the connection's
// next call (NewServerStream) and runs its handler on its own task, and it
// starts another worker first if no other one is waiting, so a call never
// waits for another's handler (the effect of Go's task per call). Workers
// are reused from call to call (a free worker with two others already
// waiting exits), so a connection serving one call at a time runs two
// workers and starts no task per call, and the manager's reader hands each
// call straight to a waiting worker. (The OS backend's rt::spawn reuses
// idle threads too, so growing the workers for a burst is cheap.) When a
// handler returns, its Status ends the call: ok -> CloseSend, an error ->
// SendError (its code and text). When the connection ends (the client hung
// up, a protocol error, Stop), its streams are canceled (handlers see
// kCanceled), the workers exit, the supervisor joins them and closes the
// manager.
//
// Accept errors: a temporary one (rt::IsTemporaryAcceptError) is retried
// after a back-off that doubles from accept_backoff_initial up to
// accept_backoff_max and is cut short by Stop; any other error ends Serve,
// which returns it (the connections already accepted go on until Stop).
//
// Stop(grace), graceful shutdown:
//   1. stop accepting: every listener a Serve is using is closed; Serve
//      returns ok. New calls on existing connections are refused with an
//      Error (code kUnavailableCode = 14, "drpc: server is stopping").
//   2. let the calls in flight finish, until `grace` has passed;
//   3. cancel the calls still running (soft cancel: their clients get
//      kCanceled, their handlers' stream operations return kCanceled);
//   4. close every connection and wait until every handler task,
//      connection task, ServeOne and Serve has returned. A handler that
//      ignores cancellation (never touches its stream, never checks
//      done()) holds Stop up until it returns.
// Stop may be called from any task but a handler's, more than once; every
// call returns after the first one finished. The destructor calls Stop(0).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
#include "drpc/manager/manager.h"
#include "drpc/manager/options.h"
#include "drpc/rpc/handler.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"

namespace drpc::rpc {

// A server connection's manager options by default: role server, named
// "server".
inline manager::ManagerOptions DefaultServerManagerOptions() {
  manager::ManagerOptions options;
  options.role = manager::Role::kServer;
  options.name = "server";
  return options;
}

struct ServerOptions {
  // Each connection's manager. The role is always server; connection N's
  // name (task names, reports) is "<manager.name>.c<N>".
  manager::ManagerOptions manager = DefaultServerManagerOptions();
  // Back-off after a temporary accept error (Go: a fixed 500 ms).
  rt::Duration accept_backoff_initial = std::chrono::milliseconds(5);
  rt::Duration accept_backoff_max = std::chrono::seconds(1);
  // Temporary accept errors in a row before Serve gives up and returns the
  // last one.
  uint32_t max_accept_retries = 10'000;
  // Connections served at once; a connection accepted over it is closed at
  // once.
  size_t max_connections = 10'000;
  // Observer, for tests and the simulator: called on the serving task with
  // each new connection's manager before it serves (e.g. to watch its pool).
  // Must not block.
  std::function<void(manager::Manager&)> on_connection = nullptr;
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over max_connections or while stopping
  uint64_t accept_retries = 0;       // temporary accept errors retried
  uint64_t calls_started = 0;        // handler tasks started
  uint64_t calls_refused = 0;        // calls answered "server is stopping"
  uint64_t calls_canceled_at_stop = 0;
};

namespace detail {
struct ServedConnection;
}

class Server {
 public:
  // `handler` (usually a Mux) must outlive the server.
  explicit Server(const Handler& handler, ServerOptions options = {});
  ~Server();  // Stop(0)
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Accepts connections from `listener` on this task until Stop (returns
  // ok) or a hard accept error (returns it). `listener` must stay alive
  // until Serve returns; Stop closes it (a Serve called after Stop closes
  // it at once and returns ok). Several Serves may run at once.
  Status Serve(rt::Listener& listener);

  // Serves one connection on this task until it ends; returns its
  // termination error (kCanceled when the client hung up, kClosed after
  // Stop). After Stop it closes `transport` and returns kClosed at once.
  Status ServeOne(std::unique_ptr<rt::Transport> transport);

  // Graceful shutdown; see the header comment.
  void Stop(rt::Duration grace);

  // Set once Stop has begun and every connection refuses new calls.
  rt::Signal& stopping() { return stopping_; }
  ServerStats stats() const;

 private:
  using Connection = detail::ServedConnection;

  Status AcceptLoop(rt::Listener& listener);
  bool Stopping() const;
  // Registers a connection (and starts its task if `spawn_task`); null if
  // refused (the transport is then closed).
  std::shared_ptr<Connection> AddConnection(std::unique_ptr<rt::Transport> transport,
                                            bool spawn_task);
  // Serves the connection with its workers until it ends; returns its
  // error. See ServedConnection in server.cc.
  Status ServeConnection(Connection& conn);
  void StartWorker(Connection& conn);
  void RunWorker(Connection& conn, uint64_t worker_id);
  void RunCall(Connection& conn, uint64_t call_id, manager::ServerStream& accepted);
  void ReapConnections();
  // Stop's steps 2 and 3 for one connection.
  void DrainConnection(Connection& conn, rt::TimePoint deadline);
  void CountStat(uint64_t ServerStats::*field);

  const Handler& handler_;
  const ServerOptions options_;
  rt::Signal stopping_;
  rt::Mutex stop_mu_;  // serializes Stop calls

  mutable rt::Mutex mu_;
  rt::CondVar serving_done_;    // serving_ reached 0
  bool stopping_flag_ = false;  // guarded by mu_
  size_t serving_ = 0;          // guarded by mu_: Serve + ServeOne running
  // In Serve order, not pointer order: the simulator replays Stop's closes.
  std::vector<rt::Listener*> listeners_;                         // guarded by mu_
  uint64_t next_connection_id_ = 1;                              // guarded by mu_
  std::map<uint64_t, std::shared_ptr<Connection>> connections_;  // guarded by mu_
  std::vector<uint64_t> finished_connections_;                   // guarded by mu_
  ServerStats stats_;                                            // guarded by mu_
};

}  // namespace drpc::rpc
