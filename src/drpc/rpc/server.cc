#include "drpc/rpc/server.h"

#include <algorithm>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/base/status.h"
#include "drpc/rt/fault.h"

namespace drpc::rpc {
namespace detail {

// One connection being served: its manager, the task supervising it
// (Serve's connections; ServeOne supervises on the caller's task), its
// workers and the calls they run.
//
// Workers. A worker loops: wait for the next call (NewServerStream), run
// its handler, repeat. A worker that takes a call when no other worker is
// waiting first starts one, so a call never waits for a handler to finish;
// a worker that finds kSpareWorkers others already waiting exits instead
// of waiting too. So each call runs on a task of its own, and a connection
// with one call at a time settles on two workers and starts no task per
// call: the manager's reader hands a call straight to a waiting worker.
struct ServedConnection {
  uint64_t id = 0;
  std::string worker_name;
  std::unique_ptr<manager::Manager> manager;
  rt::Task task;  // guarded by Server::mu_

  rt::Mutex mu{"server.connection"};
  // Two condition variables, so that a call finishing (every call) never
  // wakes the supervisor, which waits only for workers to exit (a wake-up
  // is a context switch, a good part of a call's cost).
  rt::CondVar worker_exited{"server.connection.worker_exited"};  // the supervisor waits here
  rt::CondVar call_finished{"server.connection.call_finished"};  // Stop's drain waits here
  bool draining = false;                 // guarded by mu: Stop began, new calls are refused
  Status ended;                          // guarded by mu: why NewServerStream failed
  size_t waiting = 0;                    // guarded by mu: workers inside NewServerStream
  size_t alive = 0;                      // guarded by mu: workers started and not exited
  uint64_t next_worker = 1;              // guarded by mu
  std::map<uint64_t, rt::Task> workers;  // guarded by mu: started, not joined
  std::vector<uint64_t> exited;          // guarded by mu: exited, to be joined
  uint64_t next_call = 1;                // guarded by mu
  // Calls whose handler is running, for Stop's drain and cancel, in call
  // order. A flat vector: no allocation per call once it has grown to the
  // connection's peak.
  std::vector<std::pair<uint64_t, std::shared_ptr<stream::Stream>>> running;  // guarded by mu
};

// Workers waiting for calls beyond which a free worker exits.
inline constexpr size_t kSpareWorkers = 2;

}  // namespace detail

Server::Server(const Handler& handler, ServerOptions options)
    : handler_(handler),
      options_(std::move(options)),
      stopping_("server.stopping"),
      stop_mu_("server.stop"),
      mu_("server.mu"),
      serving_done_("server.serving_done") {
  DRPC_ASSERT(options_.accept_backoff_initial.count() > 0, "accept_backoff_initial must be > 0");
  DRPC_ASSERT(options_.accept_backoff_max >= options_.accept_backoff_initial,
              "accept_backoff_max must be >= accept_backoff_initial");
  DRPC_ASSERT(options_.max_connections > 0, "max_connections must be > 0");
}

Server::~Server() { Stop(rt::Duration::zero()); }

ServerStats Server::stats() const {
  rt::LockGuard guard(mu_);
  return stats_;
}

ResourceUsage Server::counts() const { return meter_->Snapshot(); }

ResourceUsage Server::resources() const {
  ResourceUsage usage = counts();
  rt::LockGuard guard(mu_);
  for (const auto& [id, conn] : connections_) {
    ResourceUsage held = conn->manager->resources();
    held.tasks = 0;  // already in counts()
    usage += held;
  }
  return usage;
}

void Server::CountTasks(Connection* conn, int64_t delta) {
  meter_->AddTasks(delta);
  if (conn != nullptr) conn->manager->meter()->AddTasks(delta);
}

Status Server::ReserveTasks(Connection* conn, int64_t n, int64_t headroom) {
  // Counted first, then compared: two tasks racing for the last slot may
  // both be refused, never both admitted.
  meter_->AddTasks(n);
  if (meter_->Snapshot().tasks + headroom > static_cast<int64_t>(options_.max_tasks)) {
    meter_->AddTasks(-n);
    return ResourceExhaustedError("drpc: the server's task limit is reached (max_tasks " +
                                  std::to_string(options_.max_tasks) + ")");
  }
  if (conn == nullptr) return OkStatus();
  const std::shared_ptr<ResourceMeter>& meter = conn->manager->meter();
  meter->AddTasks(n);
  const size_t limit = conn->manager->options().budget.max_tasks;
  if (meter->Snapshot().tasks + headroom > static_cast<int64_t>(limit)) {
    CountTasks(conn, -n);
    return ResourceExhaustedError("drpc: the connection's task limit is reached (max_tasks " +
                                  std::to_string(limit) + ")");
  }
  return OkStatus();
}

Result<rt::Task> Server::SpawnCounted(Connection* conn, std::string name,
                                      UniqueFunction<void()> body) {
  if (Status reserved = ReserveTasks(conn, 1, 0); !reserved.ok()) return reserved;
  Result<rt::Task> task = rt::TrySpawn(std::move(name), std::move(body));
  if (!task.ok()) CountTasks(conn, -1);
  return task;
}

void Server::DropConnectionCounts() {
  meter_->AddConnections(-1);
  meter_->AddTasks(-manager::kManagerTasks);
}

void Server::CountStat(uint64_t ServerStats::*field) {
  rt::LockGuard guard(mu_);
  ++(stats_.*field);
}

bool Server::Stopping() const {
  rt::LockGuard guard(mu_);
  return stopping_flag_;
}

// ---- Start and Wait ----------------------------------------------------------

Status Server::Start(std::unique_ptr<rt::Listener> listener) {
  DRPC_ASSERT(listener != nullptr, "Start needs a listener");
  rt::LockGuard guard(mu_);
  if (started_) return FailedPreconditionError("drpc: Server::Start called twice");
  started_ = true;
  started_listener_ = std::move(listener);
  // Under the lock, so that Stop finds the task to join.
  Result<rt::Task> task =
      SpawnCounted(nullptr, options_.manager.name + ".accept", [this] { RunStarted(); });
  if (!task.ok()) {
    // Nothing will ever accept on the listener (Start is once only): close
    // it, or its connects would queue at a server that never serves them.
    (void)started_listener_->Close();
    started_result_ = task.status();  // what Wait returns
    return task.status();
  }
  started_task_ = std::move(*task);
  return OkStatus();
}

void Server::RunStarted() {
  Status result = Serve(*started_listener_);
  rt::LockGuard guard(mu_);
  started_result_ = std::move(result);
  wait_done_.notify_all();
}

Status Server::Wait() {
  rt::Lock lock(mu_);
  if (!started_) return FailedPreconditionError("drpc: Server::Wait before Start");
  // Serve returns ok only once Stop began; Wait then waits for Stop's end.
  wait_done_.wait(
      lock, [&] { return started_result_.has_value() && (stopped_ || !started_result_->ok()); },
      "server: Wait waits for the server to stop");
  return *started_result_;
}

// ---- accepting ---------------------------------------------------------------

Status Server::Serve(rt::Listener& listener) {
  {
    rt::LockGuard guard(mu_);
    if (stopping_flag_) {
      // Stop came first and closed the listeners it knew of; this one is
      // closed here as Stop would have, so peers that dialed it are refused
      // instead of waiting forever for an Accept (found by the simulator's
      // PCT strategy: rpc.fixed with Stop before Serve).
      if (!DRPC_PLANT(kRpcServeAfterStopKeepsListener)) (void)listener.Close();
      return OkStatus();
    }
    DRPC_ASSERT(std::find(listeners_.begin(), listeners_.end(), &listener) == listeners_.end(),
                "Serve twice on one listener at once");
    listeners_.push_back(&listener);
    ++serving_;
  }
  Status result = AcceptLoop(listener);
  {
    rt::LockGuard guard(mu_);
    listeners_.erase(std::find(listeners_.begin(), listeners_.end(), &listener));
    --serving_;
    serving_done_.notify_all();
  }
  return result;
}

Status Server::AcceptLoop(rt::Listener& listener) {
  rt::Duration backoff = rt::Duration::zero();
  uint32_t retries = 0;
  // Ends when Stop closes the listener or on a hard accept error.
  for (;;) {
    // The fault fails the accept as EMFILE does: the peer stays queued.
    Result<std::unique_ptr<rt::Transport>> accepted =
        DRPC_FAULT(kAcceptError) ? Result<std::unique_ptr<rt::Transport>>(ResourceExhaustedError(
                                       "accept: too many open files (fault site rpc.accept-error)"))
                                 : listener.Accept();
    if (accepted.ok()) {
      retries = 0;
      backoff = rt::Duration::zero();
      (void)AddConnection(std::move(*accepted), /*spawn_task=*/true);
      continue;
    }
    if (Stopping()) return OkStatus();  // Stop closed the listener
    const Status err = accepted.status();
    if (!rt::IsTemporaryAcceptError(err) || retries >= options_.max_accept_retries) return err;
    ++retries;
    CountStat(&ServerStats::accept_retries);
    backoff = backoff == rt::Duration::zero()
                  ? options_.accept_backoff_initial
                  : std::min<rt::Duration>(backoff * 2, options_.accept_backoff_max);
    // Stop cuts the pause short.
    (void)stopping_.wait_until(rt::now() + backoff, "server: back-off after an accept error");
  }
}

std::shared_ptr<Server::Connection> Server::AddConnection(std::unique_ptr<rt::Transport> transport,
                                                          bool spawn_task) {
  uint64_t id = 0;
  {
    rt::LockGuard guard(mu_);
    if (!stopping_flag_ && connections_.size() < options_.max_connections) {
      id = next_connection_id_++;
    } else {
      ++stats_.connections_refused;
    }
  }
  // The connection's manager tasks, with room left for its supervisor and
  // a worker: a connection that could not run a call is not taken.
  if (id != 0 && !ReserveTasks(nullptr, manager::kManagerTasks, /*headroom=*/2).ok()) {
    id = 0;
    CountStat(&ServerStats::connections_refused);
  }
  if (id == 0) {
    (void)transport->Close();
    return nullptr;
  }
  // The manager starts the connection's tasks: made outside the lock.
  auto conn = std::make_shared<Connection>();
  conn->id = id;
  manager::ManagerOptions manager_options = options_.manager;
  manager_options.role = manager::Role::kServer;
  manager_options.name = options_.manager.name + ".c" + std::to_string(id);
  conn->worker_name = manager_options.name + ".worker";
  conn->manager = std::make_unique<manager::Manager>(std::move(transport), manager_options);
  meter_->AddConnections(1);
  if (options_.on_connection) options_.on_connection(*conn->manager);
  bool refused = false;
  {
    rt::LockGuard guard(mu_);
    if (stopping_flag_ || connections_.size() >= options_.max_connections) {
      refused = true;
      ++stats_.connections_refused;
    } else {
      if (spawn_task) {
        // The task drops its own connection when it ends (FinishConnection),
        // or Stop does. It takes mu_ first, so it cannot finish before the
        // connection is listed.
        Result<rt::Task> task =
            SpawnCounted(conn.get(), manager_options.name + ".serve", [this, c = conn.get()] {
              (void)ServeConnection(*c);
              FinishConnection(c->id);
            });
        if (task.ok()) {
          conn->task = std::move(*task);
        } else {
          // No task to serve it: refused like a connection over the limit.
          refused = true;
          ++stats_.connections_refused;
        }
      }
      if (!refused) {
        ++stats_.connections_accepted;
        connections_.emplace(id, conn);
      }
    }
  }
  if (refused) {
    (void)conn->manager->Close();
    DropConnectionCounts();
    return nullptr;
  }
  return conn;
}

void Server::FinishConnection(uint64_t id) {
  std::shared_ptr<Connection> conn;
  rt::Task previous;
  {
    rt::LockGuard guard(mu_);
    // Once Stop began it joins and drops every connection itself.
    if (stopping_flag_) return;
    auto it = connections_.find(id);
    DRPC_ASSERT(it != connections_.end(), "a served connection is not listed");
    conn = std::move(it->second);
    connections_.erase(it);
    // A task cannot join itself: the next connection to finish (or Stop)
    // joins this one, whose body is about to return.
    previous = std::move(finished_task_);
    finished_task_ = std::move(conn->task);
  }
  if (previous.joinable()) previous.join();
  // This task counts no more: what is left of it is returning.
  CountTasks(conn.get(), -1);
  DropConnectionCounts();
  // `conn` (its manager, closed by ServeConnection) is destroyed here.
}

// ---- one connection ----------------------------------------------------------

Status Server::ServeOne(std::unique_ptr<rt::Transport> transport) {
  bool refused = false;
  {
    rt::LockGuard guard(mu_);
    refused = stopping_flag_;
    if (!refused) ++serving_;
  }
  if (refused) {
    (void)transport->Close();
    return ClosedError("drpc: server stopped");
  }
  // Closes the transport itself if it refuses the connection.
  std::shared_ptr<Connection> conn = AddConnection(std::move(transport), /*spawn_task=*/false);
  Status result = conn != nullptr
                      ? ServeConnection(*conn)
                      : ClosedError("drpc: connection refused (server stopping or full)");
  if (conn != nullptr) DropConnectionCounts();
  rt::LockGuard guard(mu_);
  if (conn != nullptr) connections_.erase(conn->id);
  --serving_;
  serving_done_.notify_all();
  return result;
}

Status Server::ServeConnection(Connection& conn) {
  if (Status started = StartWorker(conn); !started.ok()) {
    // Nobody could take its calls: the connection ends at once (its peer's
    // calls fail as on a closed connection), the server goes on.
    {
      rt::LockGuard guard(conn.mu);
      conn.ended = started;
    }
    (void)conn.manager->Close();
    return started;
  }
  // Workers exit when the connection terminates (their NewServerStream
  // fails) or as spares; the last one stays while the connection lives.
  // Each round joins at least one exited worker.
  for (;;) {
    std::vector<rt::Task> exited;
    bool all_exited = false;
    {
      rt::Lock lock(conn.mu);
      conn.worker_exited.wait(
          lock, [&] { return !conn.exited.empty(); },
          "server: the connection waits for its workers to exit");
      for (uint64_t id : conn.exited) {
        auto it = conn.workers.find(id);
        DRPC_ASSERT(it != conn.workers.end(), "an exited worker is not registered");
        exited.push_back(std::move(it->second));
        conn.workers.erase(it);
      }
      conn.exited.clear();
      all_exited = conn.alive == 0;
    }
    for (rt::Task& task : exited) {
      task.join();
      CountTasks(&conn, -1);
    }
    if (all_exited) break;
  }
  (void)conn.manager->Close();
  rt::LockGuard guard(conn.mu);
  DRPC_ASSERT(conn.workers.empty() && conn.running.empty(), "a connection ended with work left");
  DRPC_ASSERT(!conn.ended.ok(), "the workers exited but the connection did not end");
  return conn.ended;
}

Status Server::StartWorker(Connection& conn) {
  rt::LockGuard guard(conn.mu);
  const uint64_t id = conn.next_worker++;
  // Under the lock, so the worker's exit (which takes it) finds its task.
  Result<rt::Task> task =
      SpawnCounted(&conn, conn.worker_name, [this, &conn, id] { RunWorker(conn, id); });
  if (!task.ok()) return task.status();
  ++conn.alive;
  conn.workers.emplace(id, std::move(*task));
  return OkStatus();
}

void Server::RunWorker(Connection& conn, uint64_t worker_id) {
  // Each iteration serves one call; the loop ends when the connection does
  // or the worker is spare. The last call goes back to the manager, which
  // reuses its rpc name's and metadata's storage (no allocation per call).
  manager::ServerStream done;
  for (;;) {
    {
      rt::LockGuard guard(conn.mu);
      if (conn.waiting >= detail::kSpareWorkers) break;
      ++conn.waiting;
    }
    Result<manager::ServerStream> next =
        conn.manager->NewServerStream(rt::kNoDeadline, std::move(done));
    uint64_t call_id = 0;
    bool start_another = false;
    {
      rt::LockGuard guard(conn.mu);
      --conn.waiting;
      if (!next.ok()) {
        if (conn.ended.ok()) conn.ended = next.status();
        break;
      }
      if (!conn.draining) {
        call_id = conn.next_call++;
        conn.running.emplace_back(call_id, next->stream);
        start_another = conn.waiting == 0;
      }
    }
    if (call_id == 0) {
      CountStat(&ServerStats::calls_refused);
      (void)next->stream->SendError(Status(ErrorKind::kClosed, "drpc: server is stopping",
                                           static_cast<uint64_t>(StatusCode::kUnavailable)));
      done = std::move(*next);
      continue;
    }
    // Someone must wait for the next call while this one runs. If no task
    // can be started for it (a task limit, no threads), this worker stays
    // the one waiting and the call is refused instead: the caller gets
    // ResourceExhausted at once, the next call is served, and no call ever
    // waits in the accept queue with no worker to take it.
    if (start_another) {
      if (Status started = StartWorker(conn); !started.ok()) {
        FinishRefused(conn, call_id);
        CountStat(&ServerStats::calls_refused_no_task);
        (void)next->stream->SendError(Status(
            ErrorKind::kResourceExhausted, "drpc: no task to run the call: " + started.message(),
            static_cast<uint64_t>(StatusCode::kResourceExhausted)));
        continue;
      }
    }
    CountStat(&ServerStats::calls_started);
    RunCall(conn, call_id, *next);
    done = std::move(*next);
  }
  rt::LockGuard guard(conn.mu);
  DRPC_ASSERT(conn.alive > 0, "a worker exited twice");
  --conn.alive;
  conn.exited.push_back(worker_id);
  conn.worker_exited.notify_all();
}

void Server::FinishRefused(Connection& conn, uint64_t call_id) {
  rt::LockGuard guard(conn.mu);
  auto it = std::find_if(conn.running.begin(), conn.running.end(),
                         [&](const auto& call) { return call.first == call_id; });
  DRPC_ASSERT(it != conn.running.end(), "a refused call is not listed");
  conn.running.erase(it);
  if (conn.draining) conn.call_finished.notify_all();
}

void Server::RunCall(Connection& conn, uint64_t call_id, manager::ServerStream& accepted) {
  {
    ServerCall call(accepted);
    const Status result = handler_.HandleRPC(call);
    // §5.2 handleRPC. Both are no-ops once the stream ended (canceled, the
    // connection died); their errors are the connection's to report.
    if (result.ok()) {
      (void)accepted.stream->CloseSend();
    } else {
      (void)accepted.stream->SendError(result);
    }
  }
  accepted.stream.reset();
  rt::LockGuard guard(conn.mu);
  auto it = std::find_if(conn.running.begin(), conn.running.end(),
                         [&](const auto& call) { return call.first == call_id; });
  DRPC_ASSERT(it != conn.running.end(), "a call finished twice");
  conn.running.erase(it);
  // Only Stop's drain waits for calls, and it sets draining first.
  if (conn.draining) conn.call_finished.notify_all();
}

// ---- stopping ----------------------------------------------------------------

void Server::DrainConnection(Connection& conn, rt::TimePoint deadline) {
  std::vector<std::shared_ptr<stream::Stream>> late;
  {
    rt::Lock lock(conn.mu);
    (void)conn.call_finished.wait_until(
        lock, deadline, [&] { return conn.running.empty(); },
        "server: Stop lets the calls in flight finish");
    for (const auto& [id, stream] : conn.running) late.push_back(stream);
  }
  for (const std::shared_ptr<stream::Stream>& stream : late) {
    (void)manager::Manager::Cancel(*stream, CanceledError());
  }
  if (!late.empty()) {
    rt::LockGuard guard(mu_);
    stats_.calls_canceled_at_stop += late.size();
  }
}

void Server::Stop(rt::Duration grace) {
  rt::LockGuard stop_guard(stop_mu_);
  const rt::TimePoint deadline = rt::now() + grace;
  std::vector<std::shared_ptr<Connection>> conns;
  {
    rt::LockGuard guard(mu_);
    stopping_flag_ = true;
    // Under the lock: Serve unregisters its listener (and may destroy it)
    // only after taking the lock. Close never blocks.
    for (rt::Listener* listener : listeners_) (void)listener->Close();
    conns.reserve(connections_.size());
    for (const auto& [id, conn] : connections_) conns.push_back(conn);
  }
  // 1. New calls are refused from here on; then stopping() says so.
  for (const std::shared_ptr<Connection>& conn : conns) {
    rt::LockGuard guard(conn->mu);
    conn->draining = true;
  }
  stopping_.set(OkStatus());
  // 2-3. Calls in flight finish until the deadline, then are canceled.
  for (const std::shared_ptr<Connection>& conn : conns) DrainConnection(*conn, deadline);
  // 4. Close the connections, all at once: each flushes its last frames
  // (refusals, replies) until a shared deadline, then closes abortively, so
  // a peer that stopped reading holds Stop up for that long at most, however
  // many there are. Each serving task then joins its handlers.
  for (const std::shared_ptr<Connection>& conn : conns) conn->manager->StartClose();
  const rt::TimePoint close_deadline = rt::now() + options_.stop_close_timeout;
  for (const std::shared_ptr<Connection>& conn : conns) {
    (void)conn->manager->Close(close_deadline);
  }
  // Each task with its connection (null: Start's task), for the counts.
  std::vector<std::pair<rt::Task, Connection*>> tasks;
  rt::Task finished;
  {
    rt::Lock lock(mu_);
    serving_done_.wait(
        lock, [&] { return serving_ == 0; }, "server: Stop waits for Serve and ServeOne to return");
    // No Serve runs: only this task touches the connections now.
    for (auto& [id, conn] : connections_) {
      if (conn->task.joinable()) tasks.emplace_back(std::move(conn->task), conn.get());
    }
    // Start's task: its Serve has returned (serving_ is 0), or it sees
    // stopping_flag_ and returns at once.
    if (started_task_.joinable()) tasks.emplace_back(std::move(started_task_), nullptr);
    finished = std::move(finished_task_);
  }
  for (auto& [task, conn] : tasks) {
    task.join();
    CountTasks(conn, -1);
  }
  // Already uncounted (FinishConnection).
  if (finished.joinable()) finished.join();
  rt::LockGuard guard(mu_);
  for (size_t i = 0; i < connections_.size(); ++i) DropConnectionCounts();
  connections_.clear();
  stopped_ = true;
  // Only Wait waits here, and only after a Start: a server that never
  // started adds no scheduling point to the simulator's traces.
  if (started_) wait_done_.notify_all();
}

}  // namespace drpc::rpc
