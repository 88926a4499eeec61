// One run of the rpc.world workload, in its two phases (world_harness.h).
#include "sim/scenarios/world/world_harness.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/handler.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/net.h"
#include "drpc/rt/rt.h"
#include "sim/checkers/resource_checker.h"
#include "sim/liveness/liveness.h"
#include "sim/net/world.h"
#include "sim/peers/hostile_peer.h"
#include "sim/scenarios/rpc/rpc_calls.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/scenarios/rpc/rpc_oracle.h"
#include "sim/scenarios/scenario.h"
#include "sim/scenarios/world/world_workload.h"
#include "sim/sched/fault_config.h"

namespace drpc::sim::worldsim {
namespace {

using rpc::CallOptions;
using rpc::CancelToken;
using rpc::Conn;
using rpcsim::CallPlan;
using rpcsim::CallResult;
using rpcsim::Ending;
using std::chrono::microseconds;

constexpr rt::TimePoint kNever = rt::kNoDeadline;

[[noreturn]] void CheckFailed(const std::string& what) { sim::Fail("rpc.world: " + what); }

std::string ServerAddress(size_t server) { return "s" + std::to_string(server) + ":80"; }

// A pool and whose it is: a crashed incarnation's buffers stay lent forever
// (its tasks were killed where they stood, nothing unwound).
struct WatchedPool {
  std::shared_ptr<stream::BufferPool> pool;
  size_t server = 0;  // SIZE_MAX: a client's
  uint32_t incarnation = 0;
  uint32_t boot = 0;  // a server's: which run of its program (boots_) made it
};

// A server's handler, counting the calls it is handling (tasks of one run
// share one thread: a plain count, no step added).
class CountingHandler final : public rpc::Handler {
 public:
  CountingHandler(const rpc::Handler& inner, int& running) : inner_(inner), running_(running) {}
  Status HandleRPC(rpc::ServerCall& call) const override {
    ++running_;
    Status st = inner_.HandleRPC(call);
    --running_;
    return st;
  }

 private:
  const rpc::Handler& inner_;
  int& running_;
};

class WorldRun {
 public:
  WorldRun(const WorldWorkload& w, HalfOpenGuard guard)
      : w_(w), guard_(guard), liveness_("rpc.world [" + DescribeWorld(w) + "]", kLivenessBound) {}

  void Run() {
    {
      net::WorldOptions options = w_.world;
      // The run's configuration may switch on world faults (--faults
      // net.reset, --swarm): the World draws them, at a tick short enough
      // to land inside the safety phase (a few virtual milliseconds).
      if (Configured("net.reset") || Configured("net.half-open") || Configured("net.partition") ||
          Configured("net.crash")) {
        options.faults.tick = microseconds(250);
      }
      // A vanished peer is found out well inside the liveness bound: a call
      // without a deadline on a half-open connection ends by itself.
      if (guard_ == HalfOpenGuard::kKeepalive || guard_ == HalfOpenGuard::kServerKeepalive) {
        options.link.keepalive = kKeepalive;
      }
      net::World world(options);
      world_ = &world;
      for (size_t c = 0; c < w_.clients; ++c) {
        client_hosts_.push_back(world.AddHost("c" + std::to_string(c)));
      }
      for (size_t s = 0; s < w_.servers; ++s) {
        server_hosts_.push_back(world.AddHost("s" + std::to_string(s)));
      }
      TellOracleOfConfiguredFaults();
      incarnation_.assign(w_.servers, 0);
      boots_.assign(w_.servers, 0);
      client_resources_ = std::make_unique<ResourceChecker>();
      StepHook ledger([this] {
        for (const WatchedPool& p : pools_) p.pool->CheckConservation();
      });
      for (size_t s = 0; s < w_.servers; ++s) BootServer(world, s);

      // Each client host dials its Conns, then runs their calls.
      conns_.resize(w_.conns.size());
      for (size_t i = 0; i < w_.calls.calls.size(); ++i) {
        owed_.push_back(liveness_.Owe(Describe(i)));
      }
      std::vector<rt::Task> clients;
      for (size_t c = 0; c < w_.clients; ++c) {
        clients.push_back(world.Spawn(client_hosts_[c], "client " + std::to_string(c),
                                      [this, c] { RunClient(c); }));
      }
      rt::Signal release{"world.hostile-release"};
      std::unique_ptr<peers::HostilePeer> peer;
      rt::Task hostile;
      net::HostId mallory = 0;
      if (w_.hostile) {
        mallory = world.AddHost("mallory");
        hostile = world.Spawn(mallory, "hostile", [&] {
          auto t = rt::Connect(ServerAddress(w_.hostile_server), rt::now() + microseconds(5000));
          if (!t.ok()) return;
          peers::PeerOptions options;
          options.max_flood = 32;
          options.release = &release;
          peer = std::make_unique<peers::HostilePeer>(std::move(*t), std::move(options));
          peer->Run();
        });
      }
      rt::Task faults = rt::spawn("world faults", [this] { RunFaults(); });
      faults.join();
      const int64_t last_fault = w_.faults.empty() ? 0 : w_.faults.back().at_us + 1;
      rt::sleep_until(rt::TimePoint(microseconds(std::max(last_fault, w_.heal_us))));

      // The liveness phase: healed, and everything owed must end.
      liveness_.Begin([&] { world.HealAll(); });
      backstop_ = liveness_.began_at() + liveness_.bound() / 2;
      for (rt::Task& t : clients) t.join();  // every call has ended
      std::vector<rt::Task> probes;
      for (size_t k = 0; k < conns_.size(); ++k) {
        if (conns_[k] == nullptr) continue;  // its dial failed: reported to its user
        probes.push_back(world.Spawn(client_hosts_[w_.conns[k].client],
                                     "probe " + std::to_string(k), [this, k] { Probe(k); }));
      }
      for (rt::Task& t : probes) t.join();
      UntilClientPoolsIdle();
      UntilServersIdle();
      const LivenessPhase::Obligation shutdown = liveness_.Owe(
          "shutdown: every Conn closed, the hostile peer released, every server stopped");
      for (std::unique_ptr<Conn>& conn : conns_) {
        if (conn != nullptr) (void)conn->Close();
      }
      release.set(OkStatus());
      // A configured half-open may have picked the hostile peer's own
      // connection (the harness's timed faults never do): its writes then
      // wait for room that never comes. The peer is released; its
      // connection is reset so its tasks see the error and return.
      if (mallory != 0 && any_half_open_) world.Reset(mallory, server_hosts_[w_.hostile_server]);
      world.Shutdown();
      if (hostile.joinable()) hostile.join();
      liveness_.Settle(shutdown);
      if (peer != nullptr) ++tally_["hostile peer"];
      conns_.clear();
      peer.reset();
      world_ = nullptr;
    }
    liveness_.Finish();
    for (const WatchedPool& p : pools_) {
      if (p.server == SIZE_MAX || (!any_crash_ && !Crashed(p.server, p.incarnation)))
        p.pool->CheckAllReturned();
    }
    // Everything watched is destroyed: every meter back to zero, except a
    // crashed incarnation's. A crash kills the server's tasks where they
    // stand (sim::KillHost; docs/sim-world.md) and a killed fiber is never
    // unwound, so what they held stays counted forever; those checkers
    // only checked the limits at every step. A configured net.crash may
    // have killed any incarnation (the harness does not see which).
    pools_.clear();  // a pool's kept buffers count until the pool goes
    client_resources_->CheckReleased();
    for (const auto& [incarnation, checker] : server_resources_) {
      if (!any_crash_ && !Crashed(incarnation.first, incarnation.second)) checker->CheckReleased();
    }
    for (const auto& [what, n] : tally_) WorldTally()[what] += n;  // the run passed
  }

 private:
  void BootServer(net::World& world, size_t s) {
    world.Boot(server_hosts_[s], "server " + std::to_string(s), [this, s](net::Lifetime& life) {
      // Each run of the program is a boot; only the latest one is alive (a
      // program ends only by a crash or the world's shutdown).
      const uint32_t boot = ++boots_[s];
      // A server that cannot start (rt.spawn-failure: no task for its
      // accept loop) does what a supervised process does: reports it,
      // lingers a little, and tries again with a new Server, until the
      // world ends.
      while (!ServeOnce(s, boot, life)) {
        if (life.shutting_down()) return;
      }
    });
  }

  // One Server on server host `s` until the world shuts down; false if its
  // Start failed (the only failure the run's faults allow it).
  bool ServeOnce(size_t s, uint32_t boot, net::Lifetime& life) {
    const uint32_t incarnation = incarnation_[s];
    rpcsim::TestService service;
    rpc::ServerOptions options;
    options.manager.close_flush_timeout = std::chrono::milliseconds(5);
    options.manager.max_invoke_bytes = 2048;
    options.accept_backoff_initial = microseconds(10);
    options.accept_backoff_max = microseconds(80);
    ResourceChecker& resources = ServerResources(s, incarnation);
    options.on_connection = [this, s, incarnation, boot, &resources](manager::Manager& m) {
      pools_.push_back({m.pool(), s, incarnation, boot});
      resources.WatchConnection(m);
    };
    CountingHandler handler(service.mux, handling_[{s, boot}]);
    rpc::Server server(handler, options);
    resources.Watch("server " + std::to_string(s), server.meter(),
                    {.max_tasks = options.max_tasks, .max_connections = options.max_connections});
    Result<std::unique_ptr<rt::Listener>> listener = rt::Listen(ServerAddress(s));
    if (!listener.ok())
      CheckFailed("server " + std::to_string(s) + ": " + listener.status().ToString());
    if (Status st = server.Start(std::move(*listener)); !st.ok()) {
      if (!Configured("rt.spawn-failure") || !st.is(ErrorKind::kResourceExhausted)) {
        CheckFailed("server " + std::to_string(s) + " Start: " + st.ToString());
      }
      // The failed Server must have closed its listener, so that no
      // connect queues at a server that will never accept it (its client
      // would wait for ever): a connect meanwhile is refused, and Dial
      // tries again. Checked with the failed Server alive, as a process
      // that reports the error and lingers before its restart has it.
      ++tally_["server start failed"];
      Result<std::unique_ptr<rt::Transport>> queued =
          rt::Connect(ServerAddress(s), rt::now() + microseconds(100));
      if (queued.ok()) {
        CheckFailed("server " + std::to_string(s) +
                    ": a connect succeeded after its Start failed (" + st.ToString() +
                    "): the failed Server left its listener open");
      }
      rt::sleep_for(microseconds(100));
      return false;
    }
    life.WaitForShutdown();
    server.Stop(microseconds(w_.stop_grace_us));
    return true;
  }

  static bool Configured(std::string_view kind) { return CurrentFaults().OneIn(kind) > 0; }

  // Faults the World draws from the run's configuration hit pairs it picks
  // at ticks the harness does not see. The simplest sound oracle: a kind
  // that is on may have hit every pair from the start, as a timed fault of
  // that kind would (a reset or crash breaks, a half-open of the server's
  // end asks for the backstop deadline, a partition or slow reader
  // delays); a configured crash may have killed any server incarnation
  // with buffers lent. The harness's own timed faults keep their precise
  // log, so runs without configured faults judge exactly as before.
  void TellOracleOfConfiguredFaults() {
    const bool breaks =
        Configured("net.reset") || Configured("net.half-open") || Configured("net.crash");
    const bool delays = breaks || Configured("net.partition") || Configured("net.slow-reader");
    any_half_open_ = Configured("net.half-open");
    any_crash_ = Configured("net.crash");
    for (size_t c = 0; c < w_.clients; ++c) {
      for (size_t s = 0; s < w_.servers; ++s) {
        if (breaks) Broke(c, s);
        if (delays) Delayed(c, s);
      }
    }
  }

  // The resource checker of one server incarnation (created on first use,
  // owned here: a crash kills the program's fiber, never unwinding it).
  ResourceChecker& ServerResources(size_t server, uint32_t incarnation) {
    std::unique_ptr<ResourceChecker>& checker = server_resources_[{server, incarnation}];
    if (checker == nullptr) checker = std::make_unique<ResourceChecker>();
    return *checker;
  }

  bool Crashed(size_t server, uint32_t incarnation) const {
    return std::find(crashed_.begin(), crashed_.end(), std::make_pair(server, incarnation)) !=
           crashed_.end();
  }

  // ---- the fault log, per (client, server) pair
  void Broke(size_t client, size_t server) {
    Delayed(client, server);
    broke_.emplace(std::make_pair(client, server), rt::now());
  }
  void Delayed(size_t client, size_t server) {
    delayed_.emplace(std::make_pair(client, server), rt::now());
  }
  static bool Before(const std::map<std::pair<size_t, size_t>, rt::TimePoint>& log,
                     const ConnPlan& pair, rt::TimePoint t) {
    auto it = log.find({pair.client, pair.server});
    return it != log.end() && it->second <= t;
  }
  bool PlannedHalfOpenServer(const ConnPlan& pair) const {
    if (guard_ == HalfOpenGuard::kKeepalive) return false;
    if (any_half_open_) return true;
    for (const FaultPlan& f : w_.faults) {
      if (f.kind == FaultKind::kHalfOpenServer && f.client == pair.client &&
          f.server == pair.server) {
        return true;
      }
    }
    return false;
  }
  rpcsim::Allowed AllowedFor(size_t conn, rt::TimePoint ended) const {
    const ConnPlan& pair = w_.conns[conn];
    rpcsim::Allowed allowed;
    allowed.connection_error = Before(broke_, pair, ended) || dial_failed_.count(conn) > 0;
    allowed.deadline = Before(delayed_, pair, ended) && PlannedHalfOpenServer(pair);
    return allowed;
  }

  void RunFaults() {
    for (const FaultPlan& f : w_.faults) {
      rt::sleep_until(std::max(rt::now(), rt::TimePoint(microseconds(f.at_us))));
      ++tally_[std::string("fault ") + FaultName(f.kind)];
      const net::HostId client = client_hosts_[f.client];
      const net::HostId server = server_hosts_[f.server];
      switch (f.kind) {
        case FaultKind::kReset:
          Broke(f.client, f.server);
          world_->Reset(client, server);
          break;
        case FaultKind::kHalfOpenClient:
          Broke(f.client, f.server);
          client_vanished_.insert(f.server);
          world_->HalfOpen(client, server);
          break;
        case FaultKind::kHalfOpenServer:
          Broke(f.client, f.server);
          world_->HalfOpen(server, client);
          break;
        case FaultKind::kPartition:
          Delayed(f.client, f.server);
          world_->Partition({client}, {server});
          heals_.push_back(rt::spawn("heal", [this, at = f.lasts_us] {
            rt::sleep_for(microseconds(at));
            world_->Heal();
          }));
          break;
        case FaultKind::kCrash:
          if (down_.count(f.server) > 0) break;
          for (size_t c = 0; c < w_.clients; ++c) Broke(c, f.server);
          crashed_.emplace_back(f.server, incarnation_[f.server]);
          crashed_boots_.emplace(f.server, boots_[f.server]);
          down_.insert(f.server);
          world_->Crash(server);
          heals_.push_back(rt::spawn("restart", [this, s = f.server, at = f.lasts_us] {
            rt::sleep_for(microseconds(at));
            Restart(s);
          }));
          break;
        case FaultKind::kSlowReader:
          Delayed(f.client, f.server);
          world_->SlowReader(client, server);
          break;
      }
    }
    for (rt::Task& t : heals_) t.join();
  }

  void Restart(size_t s) {
    if (down_.erase(s) == 0) return;
    ++incarnation_[s];
    world_->Restart(server_hosts_[s]);
  }

  void Count(const std::string& what, const Status& st) {
    ++tally_[what + " " + std::string(ErrorKindName(st.kind()))];
  }

  // ---- the clients
  std::string Describe(size_t i) const {
    const CallPlan& p = w_.calls.calls[i];
    return rpcsim::DescribeCall(p, i) + ", c" + std::to_string(w_.conns[p.conn].client) + ">s" +
           std::to_string(w_.conns[p.conn].server) + ", at " + std::to_string(p.start_us) + "us)";
  }

  void RunClient(size_t c) {
    for (size_t k = 0; k < w_.conns.size(); ++k) {
      if (w_.conns[k].client == c) Dial(k);
    }
    std::vector<rt::Task> calls;
    for (size_t i = 0; i < w_.calls.calls.size(); ++i) {
      if (w_.conns[w_.calls.calls[i].conn].client != c) continue;
      calls.push_back(rt::spawn("call " + std::to_string(i), [this, i] { Call(i); }));
    }
    for (rt::Task& t : calls) t.join();
  }

  // A few tries: connects may be refused (drawn, or a full backlog) or time
  // out across a partition or to a crashed server.
  void Dial(size_t k) {
    Status last;
    for (int attempt = 0; attempt < 4; ++attempt) {
      rpc::ConnOptions options;
      // A Close lingers for the peer's EOF; a vanished peer never sends it.
      options.manager.close_flush_timeout = std::chrono::milliseconds(5);
      Result<Conn> conn =
          net::Dial(ServerAddress(w_.conns[k].server), rt::now() + microseconds(3000), options);
      if (conn.ok()) {
        pools_.push_back({conn->manager().pool(), SIZE_MAX, 0});
        client_resources_->WatchConnection(conn->manager());
        conns_[k] = std::make_unique<Conn>(std::move(*conn));
        return;
      }
      last = conn.status();
      rt::sleep_for(microseconds(200));
    }
    dial_failed_.emplace(k, last);
    ++tally_["dial failed"];
  }

  void Call(size_t i) {
    const CallPlan& plan = w_.calls.calls[i];
    rt::sleep_for(microseconds(plan.start_us));
    const rt::TimePoint started = rt::now();
    Conn* conn = conns_[plan.conn].get();
    if (conn == nullptr) {  // never dialed: the dial's error is the call's
      liveness_.Settle(owed_[i]);
      return;
    }
    rt::Task canceler;
    CallOptions options = rpcsim::PlannedCallOptions(plan, i, started, canceler);
    if (options.deadline == kNever && PlannedHalfOpenServer(w_.conns[plan.conn])) {
      options.deadline = BackstopDeadline();
    }
    CallResult result = rpcsim::RunCall(*conn, plan, rpcsim::CallTag(i), options);
    if (canceler.joinable()) canceler.join();
    liveness_.Settle(owed_[i]);
    Count(std::string("call ") + rpcsim::ShapeName(plan.shape), result.status);
    if (std::string why = rpcsim::Judge(w_.calls, plan, rpcsim::CallTag(i), started, result,
                                        liveness_.bound(), AllowedFor(plan.conn, result.ended));
        !why.empty()) {
      // The world on a line of its own: the first line says what broke (a
      // shrinker's "same failure"), so a simpler world can fail the same way.
      CheckFailed(Describe(i) + " " + why + "\n  world: " + DescribeWorld(w_));
    }
  }

  // Before the liveness phase begins its time is not known: the backstop is
  // then the end of the safety phase plus half the bound.
  rt::TimePoint BackstopDeadline() const {
    if (backstop_ != kNever) return backstop_;
    const int64_t last_fault = w_.faults.empty() ? 0 : w_.faults.back().at_us + 1;
    return rt::TimePoint(microseconds(std::max(last_fault, w_.heal_us))) + liveness_.bound() / 2;
  }

  // Every connection serves a fresh call on the healed network, or reports
  // an error to its user (the oracle allows one only on a broken pair).
  void Probe(size_t k) {
    CallPlan plan;
    plan.conn = k;
    plan.shape = rpcsim::Shape::kEcho;
    plan.metadata[rpcsim::kTagKey] = rpcsim::ProbeTag(k);
    const LivenessPhase::Obligation owed = liveness_.Owe("the probe of conn " + std::to_string(k) +
                                                         " (a fresh echo call once healed)");
    const rt::TimePoint started = rt::now();
    CallOptions options;
    options.metadata = plan.metadata;
    if (PlannedHalfOpenServer(w_.conns[k])) options.deadline = backstop_;
    CallResult result = rpcsim::RunCall(*conns_[k], plan, rpcsim::ProbeTag(k), options);
    liveness_.Settle(owed);
    Count("probe", result.status);
    std::string why = rpcsim::Judge(w_.calls, plan, rpcsim::ProbeTag(k), started, result,
                                    liveness_.bound(), AllowedFor(k, result.ended));
    if (why.empty()) return;
    const std::string what = "the probe of conn " + std::to_string(k) + " " + why;
    const std::string world = "world: " + DescribeWorld(w_);
    if (result.status.ok()) CheckFailed(what + "\n  " + world);
    liveness_.Fail(what + "; " + world);
  }

  // The client pools of connections the faults did not break must get back
  // to lending nothing once every call ended.
  void UntilClientPoolsIdle() {
    for (size_t k = 0; k < conns_.size(); ++k) {
      if (conns_[k] == nullptr || Before(broke_, w_.conns[k], kNever)) continue;
      const std::shared_ptr<stream::BufferPool> pool = conns_[k]->manager().pool();
      UntilIdle([&] { return pool->stats().lent; },
                "the pool of conn " + std::to_string(k) + " still lends", "buffer(s)");
    }
  }

  // A live server must get back to idle too, once every call ended and
  // every Conn served its probe: no handler running, no buffer lent, since
  // no call is in flight, its client gone or not. Excused: a crashed boot
  // (its tasks were killed holding what they held), the server the hostile
  // peer attacks (whose known failures, hostile.*.known, hold buffers until
  // it is released at shutdown), and, but in world.half-open-server-
  // holds.known, a server whose client's end may have vanished (today's
  // server keeps a vanished client's calls for ever: no timeouts, issue 13).
  void UntilServersIdle() {
    for (size_t s = 0; s < w_.servers; ++s) {
      if (w_.hostile && s == w_.hostile_server) continue;
      if (guard_ != HalfOpenGuard::kServerIdle && guard_ != HalfOpenGuard::kServerKeepalive &&
          (any_half_open_ || client_vanished_.count(s) > 0)) {
        continue;
      }
      // The latest boot crashed and its restart has not run yet (a
      // scheduler may run the restarted program late): that boot's handlers
      // were killed mid-call and never uncounted, and no newer boot exists.
      if (crashed_boots_.count({s, boots_[s]}) > 0) continue;
      ++tally_["server idle checked"];
      const std::string server =
          "server " + std::to_string(s) + " (boot " + std::to_string(boots_[s]) + ")";
      const int& handling = handling_[{s, boots_[s]}];
      UntilIdle([&] { return static_cast<uint64_t>(handling); },
                server + " still runs the handlers of", "call(s)");
      for (const WatchedPool& p : pools_) {
        if (p.server != s || p.boot != boots_[s]) continue;
        UntilIdle([&] { return p.pool->stats().lent; },
                  "the pool of a connection of " + server + " still lends", "buffer(s)");
      }
    }
  }

  // Waits until `held()` is 0; fails the liveness phase with "<what> N
  // <units> ..." if it is not by three quarters of its bound (the rest is
  // the shutdown's, and the watchdog fires at the bound with a report that
  // cannot say what was idle).
  template <typename Held>
  void UntilIdle(const Held& held, const std::string& what, const std::string& units) {
    const rt::TimePoint bound = liveness_.began_at() + liveness_.bound() * 3 / 4;
    rt::Duration wait = std::chrono::nanoseconds(1);
    for (uint64_t n = held(); n > 0; n = held()) {
      if (rt::now() >= bound) {
        liveness_.Fail(what + " " + std::to_string(n) + " " + units +
                       " with every call ended and every Conn probed");
      }
      rt::sleep_until(std::min(bound, rt::now() + wait));
      wait = std::min<rt::Duration>(wait * 2, microseconds(100));
    }
  }

  const WorldWorkload& w_;
  const HalfOpenGuard guard_;
  LivenessPhase liveness_;
  net::World* world_ = nullptr;
  std::vector<net::HostId> client_hosts_;
  std::vector<net::HostId> server_hosts_;
  std::vector<uint32_t> incarnation_;                    // per server
  std::vector<uint32_t> boots_;                          // per server: its program's runs
  std::set<size_t> client_vanished_;                     // servers a half-open-client fault hit
  std::map<std::pair<size_t, uint32_t>, int> handling_;  // (server, boot): calls in a handler
  std::vector<std::pair<size_t, uint32_t>> crashed_;     // (server, incarnation)
  std::set<std::pair<size_t, uint32_t>> crashed_boots_;  // (server, boot)
  std::set<size_t> down_;
  std::vector<rt::Task> heals_;
  std::vector<WatchedPool> pools_;
  // Resources at every step (budgets, task and connection limits) and
  // released at the end: the clients' Conns, and per (server, incarnation)
  // the server and its connections.
  std::unique_ptr<ResourceChecker> client_resources_;
  std::map<std::pair<size_t, uint32_t>, std::unique_ptr<ResourceChecker>> server_resources_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::map<size_t, Status> dial_failed_;
  std::vector<LivenessPhase::Obligation> owed_;
  // When each (client, server) pair first broke (reset, half-open, crash)
  // or was delayed (any fault).
  std::map<std::pair<size_t, size_t>, rt::TimePoint> broke_;
  std::map<std::pair<size_t, size_t>, rt::TimePoint> delayed_;
  rt::TimePoint backstop_ = kNever;
  bool any_half_open_ = false;             // the configuration's net.half-open is on
  bool any_crash_ = false;                 // the configuration's net.crash is on
  std::map<std::string, uint64_t> tally_;  // added to WorldTally if the run passes
};

}  // namespace

std::map<std::string, uint64_t>& WorldTally() {
  static std::map<std::string, uint64_t> tally;
  return tally;
}

RunOptions WorldRunOptions() { return ScenarioDefaults(/*max_steps=*/4'000'000); }

void DrawAndRun(HalfOpenGuard guard) {
  WorldWorkload w = DrawWorldWorkload();
  if (guard == HalfOpenGuard::kServerIdle || guard == HalfOpenGuard::kServerKeepalive) {
    AddClientVanishings(w);
  }
  WorldRun(w, guard).Run();
}

}  // namespace drpc::sim::worldsim
