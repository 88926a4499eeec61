// rpc::Server: serves the calls of every connection a listener accepts, each
// call's handler on a task of its own, and stops gracefully.
//
//   rpc::Mux mux;
//   mux.RegisterUnary<EchoRequest, EchoReply>("/echo.Echo/Say", Say);
//   rpc::Server server(mux);
//   auto listener = rt::os::TcpListener::Listen("127.0.0.1", 8080);
//   if (!listener.ok()) return Fail(listener.status());
//   (void)server.Start(std::move(*listener));
//   Status served = server.Wait();  // until another thread's Stop(5s) ends
//
// Tasks per connection, accept errors and the steps of Stop: docs/rpc.md,
// "Server".
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "drpc/base/resource_meter.h"
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
  // Stop: once the grace is spent (or every call ended), every connection,
  // all at once, has at most this long to flush its last frames and see
  // its peer's FIN; then it is closed abortively (queued frames are lost).
  // So Stop(grace) returns within grace + stop_close_timeout whatever the
  // clients do (peers that stopped reading, never close), unless a handler
  // ignores its cancellation (docs/rpc.md, "Stop").
  rt::Duration stop_close_timeout = std::chrono::milliseconds(100);
  // Connections served at once; a connection accepted over it is closed at
  // once. Also checked at every step by the simulator's resource checker.
  size_t max_connections = 10'000;
  // Tasks of the whole server at once: its accept task, each connection's
  // supervisor and workers (one per running call, plus spares), and each
  // connection's manager tasks (kManagerTasks). Measured by resources(),
  // checked at every step by the simulator's resource checker, enforced
  // from issue 13 on (docs/resources.md). Each connection's own budget is
  // manager.budget.
  size_t max_tasks = 16'384;
  // Observer, for tests and the simulator: called on the serving task with
  // each new connection's manager before it serves (e.g. to watch its pool).
  // Must not block.
  std::function<void(manager::Manager&)> on_connection = nullptr;
};

struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;    // over max_connections or while stopping
  uint64_t accept_retries = 0;         // temporary accept errors retried
  uint64_t calls_started = 0;          // handler tasks started
  uint64_t calls_refused = 0;          // calls answered "server is stopping"
  uint64_t calls_refused_no_task = 0;  // no task to run them (a task limit, no threads)
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

  // Serves `listener` on a task of the server's own and returns at once.
  // Once only: a second Start is kFailedPrecondition. After Stop it closes
  // the listener and Wait returns ok. If it cannot start its task
  // (kResourceExhausted) it closes the listener and Wait returns the error.
  Status Start(std::unique_ptr<rt::Listener> listener);
  // Blocks until the server started by Start has stopped: the first Stop
  // has finished (returns ok), or the listener failed (returns its error;
  // the connections go on until Stop). Any number of tasks may wait.
  // kFailedPrecondition at once if Start was not called.
  Status Wait();

  // Accepts connections from `listener` on this task until Stop (returns
  // ok) or a hard accept error (returns it). `listener` must stay alive
  // until Serve returns; Stop closes it (a Serve called after Stop closes
  // it at once and returns ok). Several Serves may run at once.
  Status Serve(rt::Listener& listener);

  // Serves one connection on this task until it ends; returns its
  // termination error (kCanceled when the client hung up, kClosed after
  // Stop). After Stop it closes `transport` and returns kClosed at once.
  Status ServeOne(std::unique_ptr<rt::Transport> transport);

  // Graceful shutdown: stops accepting and refuses new calls (code
  // StatusCode::kUnavailable), lets calls in flight run for `grace`, cancels the
  // rest, closes every connection and joins every task. A handler that
  // ignores cancellation holds Stop up until it returns. Callable from any
  // task but a handler's, more than once; every call returns after the
  // first one finished. See docs/rpc.md, "Server".
  void Stop(rt::Duration grace);

  // Set once Stop has begun and every connection refuses new calls.
  rt::Signal& stopping() { return stopping_; }
  ServerStats stats() const;
  // Connections and tasks now (lock-free: a simulator step hook may call
  // it). Tasks include every served connection's manager tasks; bytes are
  // left 0 (each connection's are in its Manager::resources()).
  ResourceUsage counts() const;
  // The meter behind counts(), for a checker that outlives the server.
  std::shared_ptr<const ResourceMeter> meter() const { return meter_; }
  // counts() plus the bytes of every connection served now. Takes the
  // server's lock: not from a step hook.
  ResourceUsage resources() const;

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
  // ResourceExhausted if no task could be started for it.
  Status StartWorker(Connection& conn);
  void RunWorker(Connection& conn, uint64_t worker_id);
  void RunCall(Connection& conn, uint64_t call_id, manager::ServerStream& accepted);
  // The end of a connection's serving task: drops the connection at once
  // (its counts, its manager and transport), so a finished connection
  // holds nothing until the next accept; joins the previous such task.
  void FinishConnection(uint64_t id);
  // A call taken off `conn.running` without running its handler.
  void FinishRefused(Connection& conn, uint64_t call_id);
  // Stop's steps 2 and 3 for one connection.
  void DrainConnection(Connection& conn, rt::TimePoint deadline);
  void CountStat(uint64_t ServerStats::*field);
  // A task of `conn` (null: the server's own) started (+1) or was joined (-1).
  void CountTasks(Connection* conn, int64_t delta);
  // Counts `n` more tasks of the server (and of `conn`) if that leaves
  // `headroom` more under ServerOptions::max_tasks (and the connection's
  // budget.max_tasks); ResourceExhausted otherwise, counting nothing.
  Status ReserveTasks(Connection* conn, int64_t n, int64_t headroom);
  // rt::TrySpawn within the task limits, counted (ResourceExhausted over a
  // limit or when no task can be started).
  Result<rt::Task> SpawnCounted(Connection* conn, std::string name, UniqueFunction<void()> body);
  // A connection (and its manager's tasks) no longer counted.
  void DropConnectionCounts();
  void RunStarted();

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
  // The last connection task that finished, to be joined by the next one
  // (or Stop): a task cannot join itself.
  rt::Task finished_task_;  // guarded by mu_
  ServerStats stats_;       // guarded by mu_
  // Connections and tasks (a connection's manager tasks count from its
  // manager's construction until the connection is dropped).
  const std::shared_ptr<ResourceMeter> meter_ = std::make_shared<ResourceMeter>();
  // Start and Wait: the listener and task Start made, Serve's result once
  // it returned, and whether the first Stop has finished.
  rt::CondVar wait_done_{"server.wait_done"};       // started_result_ or stopped_ changed
  std::unique_ptr<rt::Listener> started_listener_;  // guarded by mu_
  rt::Task started_task_;                           // guarded by mu_
  bool started_ = false;                            // guarded by mu_
  std::optional<Status> started_result_;            // guarded by mu_
  bool stopped_ = false;                            // guarded by mu_
};

}  // namespace drpc::rpc
