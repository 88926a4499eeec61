// One run of the rpc workload, in its two phases (rpc_harness.h).
#include "sim/scenarios/rpc/rpc_harness.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "sim/checkers/resource_checker.h"
#include "sim/liveness/liveness.h"
#include "sim/net/listener.h"
#include "sim/scenarios/rpc/rpc_calls.h"
#include "sim/scenarios/rpc/rpc_faults.h"
#include "sim/scenarios/rpc/rpc_oracle.h"
#include "sim/scenarios/rpc/rpc_workload.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::rpcsim {
namespace {

using rpc::CallOptions;
using rpc::Conn;
using std::chrono::microseconds;

// The liveness phase's bound. Everything the workload does takes well under
// a millisecond of virtual time, except a Conn's close flush (up to 5 ms);
// virtual time costs nothing, so the bound is generous.
constexpr rt::Duration kLivenessBound = std::chrono::milliseconds(50);

[[noreturn]] void CheckFailed(const std::string& what) { sim::Fail("rpc workload: " + what); }

class WorkloadRun {
 public:
  WorkloadRun(const Workload& w, RpcPlant plant)
      : w_(w), plant_(plant), liveness_("rpc workload", kLivenessBound) {}

  void Run() {
    std::vector<std::shared_ptr<stream::BufferPool>> pools;
    ResourceChecker resources;  // budgets at every step, all released at the end
    {
      net::ListenerOptions listener_options;
      listener_options.pipe.capacity_bytes = w_.pipe_capacity;
      net::Listener network(listener_options);
      FaultyListener listener(network, w_.accept_error_one_in);
      TestService service(plant_);
      rpc::ServerOptions server_options;
      server_options.manager.stream.split_size = w_.split_size;
      server_options.manager.stream.ring.capacity = w_.ring_capacity;
      server_options.manager.close_flush_timeout = std::chrono::milliseconds(5);
      server_options.accept_backoff_initial = microseconds(10);
      server_options.accept_backoff_max = microseconds(80);
      server_options.on_connection = [&pools, &resources](manager::Manager& m) {
        pools.push_back(m.pool());
        resources.WatchConnection(m);
      };
      rpc::Server server(service.mux, server_options);
      resources.Watch("server", server.meter(),
                      {.max_tasks = server_options.max_tasks,
                       .max_connections = server_options.max_connections});
      StepHook ledger([&pools] {
        for (const std::shared_ptr<stream::BufferPool>& pool : pools) pool->CheckConservation();
      });
      Status served;
      rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
      Dial(network, pools, resources);

      // The safety phase: faults on, the calls and the event.
      std::vector<rt::Task> callers;
      for (size_t i = 0; i < w_.calls.size(); ++i) {
        owed_.push_back(liveness_.Owe(Describe(w_, i)));
        callers.push_back(rt::spawn("call " + std::to_string(i), [this, i] { Call(i); }));
      }
      const LivenessPhase::Obligation event_returns =
          liveness_.Owe("the event's call (reset, Close or Stop) returns");
      rt::Task event = rt::spawn("event", [&] {
        FireEvent(server);
        liveness_.Settle(event_returns);
      });
      // The safety phase lasts a drawn time, and at least until just after
      // the event fired (its call may still be running: that is owed).
      const rt::TimePoint heal_at =
          rt::TimePoint(microseconds(std::max(w_.event_us + 1, w_.heal_us)));
      rt::sleep_until(heal_at);

      // The liveness phase: healed, and everything owed must end.
      liveness_.Begin([&] { listener.Heal(); });
      event.join();
      for (rt::Task& t : callers) t.join();
      std::vector<rt::Task> probes;
      for (size_t c = 0; c < w_.conns; ++c) {
        probes.push_back(rt::spawn("probe " + std::to_string(c), [this, c] { Probe(c); }));
      }
      for (rt::Task& t : probes) t.join();
      UntilPoolsIdle(pools);
      const LivenessPhase::Obligation shutdown =
          liveness_.Owe("shutdown: every Conn closed, then Server::Stop and Serve's return");
      for (const std::unique_ptr<Conn>& conn : conns_) (void)conn->Close();
      server.Stop(microseconds(w_.stop_grace_us));
      serving.join();
      liveness_.Settle(shutdown);
      if (!served.ok()) CheckFailed("Serve returned " + served.ToString());
      Tally();
      conns_.clear();
    }
    liveness_.Finish();
    // Everything is destroyed: every buffer must be home.
    for (const std::shared_ptr<stream::BufferPool>& pool : pools) pool->CheckAllReturned();
    pools.clear();
    resources.CheckReleased();
  }

 private:
  void Dial(net::Listener& network, std::vector<std::shared_ptr<stream::BufferPool>>& pools,
            ResourceChecker& resources) {
    for (size_t c = 0; c < w_.conns; ++c) {
      Result<net::Dialed> dialed = network.Dial();
      if (!dialed.ok()) CheckFailed("dial: " + dialed.status().ToString());
      pipes_.push_back(dialed->pipe);
      rpc::ConnOptions options;
      options.manager.name = "client" + std::to_string(c);
      options.manager.stream.split_size = w_.split_size;
      options.manager.stream.ring.capacity = w_.ring_capacity;
      options.manager.close_flush_timeout = std::chrono::milliseconds(5);
      conns_.push_back(std::make_unique<Conn>(std::move(dialed->transport), std::move(options)));
      pools.push_back(conns_.back()->manager().pool());
      resources.WatchConnection(conns_.back()->manager());
    }
  }

  void Call(size_t i) {
    const CallPlan& plan = w_.calls[i];
    rt::sleep_for(microseconds(plan.start_us));
    const rt::TimePoint started = rt::now();
    rt::Task canceler;
    CallOptions options = PlannedCallOptions(plan, i, started, canceler);
    CallResult result = RunCall(*conns_[plan.conn], plan, CallTag(i), options);
    if (canceler.joinable()) canceler.join();
    liveness_.Settle(owed_[i]);
    if (std::string why = Judge(w_, plan, CallTag(i), started, result, liveness_.bound(),
                                AllowedByEvent(w_, plan));
        !why.empty()) {
      CheckFailed(Describe(w_, i) + " " + why);
    }
    statuses_.emplace_back(i, result.status);
  }

  // Every connection serves a fresh call on the healed network, or reports
  // an error to its user (the oracle allows one only on a disrupted one).
  void Probe(size_t c) {
    CallPlan plan;
    plan.conn = c;
    plan.shape = Shape::kEcho;
    plan.metadata[kTagKey] = ProbeTag(c);
    const LivenessPhase::Obligation owed = liveness_.Owe("the probe of conn " + std::to_string(c) +
                                                         " (a fresh echo call once healed)");
    const rt::TimePoint started = rt::now();
    CallOptions options;
    options.metadata = plan.metadata;
    CallResult result = RunCall(*conns_[c], plan, ProbeTag(c), options);
    liveness_.Settle(owed);
    std::string why =
        Judge(w_, plan, ProbeTag(c), started, result, liveness_.bound(), AllowedByEvent(w_, plan));
    if (why.empty()) return;
    // Wrong data is the oracle's finding; an error where none is allowed
    // means the healed connection does not serve.
    const std::string what = "the probe of conn " + std::to_string(c) + " " + why;
    if (result.status.ok()) CheckFailed(what);
    liveness_.Fail(what);
  }

  // With every call ended, each pool must get back to lending nothing
  // (streams release their buffers as they finish: allow them the bound).
  void UntilPoolsIdle(const std::vector<std::shared_ptr<stream::BufferPool>>& pools) {
    const rt::TimePoint bound = liveness_.began_at() + liveness_.bound();
    rt::Duration wait = std::chrono::nanoseconds(1);
    for (const std::shared_ptr<stream::BufferPool>& pool : pools) {
      for (uint64_t lent = pool->stats().lent; lent > 0; lent = pool->stats().lent) {
        if (rt::now() >= bound) {
          liveness_.Fail("pool \"" + pool->options().name + "\" still lends " +
                         std::to_string(lent) + " buffer(s) with every call ended");
        }
        rt::sleep_until(std::min(bound, rt::now() + wait));
        wait = std::min<rt::Duration>(wait * 2, microseconds(100));
      }
    }
  }

  void FireEvent(rpc::Server& server) {
    if (w_.event == Event::kNone) return;
    rt::sleep_for(microseconds(w_.event_us));
    switch (w_.event) {
      case Event::kReset:
        pipes_[w_.event_conn]->Reset();
        break;
      case Event::kClientClose:
        (void)conns_[w_.event_conn]->Close();
        break;
      case Event::kServerStop:
        server.Stop(microseconds(w_.stop_grace_us));
        break;
      case Event::kNone:
        break;
    }
  }

  void Tally() {
    std::sort(statuses_.begin(), statuses_.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [i, st] : statuses_) {
      std::string result(ErrorKindName(st.kind()));
      if (st.is(ErrorKind::kRemote)) result += " code " + std::to_string(st.wire_code());
      ++OutcomeTally()[std::string(ShapeName(w_.calls[i].shape)) + " " + result];
    }
  }

  const Workload& w_;
  const RpcPlant plant_;
  LivenessPhase liveness_;
  std::vector<LivenessPhase::Obligation> owed_;      // per call
  std::vector<std::pair<size_t, Status>> statuses_;  // per call, as they end
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::shared_ptr<net::Pipe>> pipes_;
};

}  // namespace

std::map<std::string, uint64_t>& OutcomeTally() {
  static std::map<std::string, uint64_t> tally;
  return tally;
}

RunOptions RpcRunOptions() { return ScenarioDefaults(/*max_steps=*/400'000); }

void DrawAndRun(RpcPlant plant) {
  const Workload w = DrawWorkload();
  WorkloadRun(w, plant).Run();
}

}  // namespace drpc::sim::rpcsim
