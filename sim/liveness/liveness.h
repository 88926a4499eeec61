// Two phases per run, as TigerBeetle's simulator runs them: a SAFETY phase
// with faults on, where every checker runs at every step (step hooks, the
// scenario's own oracles), then a LIVENESS phase with every fault healed and
// none new, in which the system must finish what it owes within a bounded
// virtual time. A safety checker sees wrong answers; only a liveness phase
// sees work that never ends (a call that waits for a reply nobody sends, a
// connection that never serves again), because with faults still on,
// waiting forever can always be blamed on the next fault.
//
//   sim::LivenessPhase liveness("rpc workload", std::chrono::milliseconds(50));
//   auto call = liveness.Owe("call 3 (echo on conn 1)");   // in either phase
//   ... liveness.Settle(call) when it ends ...
//   liveness.Begin([&] { world.Heal(); });  // safety -> liveness: faults off
//   ... probes: each connection must serve a fresh call or report an error ...
//   liveness.Finish();  // owed work done, then every other task exits
//
// What fails the run, with Outcome::kLivenessFailed and a report that names
// what is still waiting (the open obligations, and every parked task with
// what it waits on and its wait-site label, sim/sched/waiting.h):
//   * the bound runs out (virtual time Begin + bound) before Finish returns:
//     a watchdog task fires at the bound, so a stuck run is reported as a
//     liveness failure, not later as a deadlock;
//   * Finish is called with an obligation still open;
//   * after Finish's obligations, some task other than the caller and the
//     watchdog does not exit by the bound ("no task is left waiting").
// The watchdog's timer is the only thing it adds to a run that passes: one
// task, one timed wait, a set and a join.
//
// Healing is the world's business: Begin takes one callable, so a world with
// richer faults (sim/net's hosts and links, a hostile peer's tape) plugs in
// its own "heal everything and inject nothing new". Simulator only.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "drpc/base/function_ref.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"

namespace drpc::sim {

class LivenessPhase {
 public:
  // `what` names the run in reports; `bound` is the virtual time the
  // liveness phase may take, from Begin to the end of Finish.
  LivenessPhase(std::string what, rt::Duration bound);
  ~LivenessPhase();
  LivenessPhase(const LivenessPhase&) = delete;
  LivenessPhase& operator=(const LivenessPhase&) = delete;

  // Something that must end by the end of the liveness phase: a call (issued
  // in either phase), a probe, a shutdown step. Settle it when it ends.
  using Obligation = size_t;
  Obligation Owe(std::string what);
  void Settle(Obligation obligation);

  // Safety -> liveness: runs `heal` (turn every fault off, inject none
  // new), notes the time and starts the watchdog. Call once, from a task.
  void Begin(FunctionRef<void()> heal);
  bool begun() const { return begun_; }
  // When the liveness phase began (kNoDeadline before Begin), and its bound.
  rt::TimePoint began_at() const { return began_at_; }
  rt::Duration bound() const { return bound_; }

  // The end of the liveness phase (after Begin): fails if an obligation is
  // open, then waits (within the bound) until every task but the caller
  // and the watchdog has exited, and stops the watchdog.
  void Finish();

  // Fails the run as a liveness failure: `why`, then what is still waiting.
  [[noreturn]] void Fail(const std::string& why) const;

 private:
  struct Owed {
    std::string what;
    bool settled = false;
  };
  std::string StillWaiting() const;
  std::string Late() const;
  void Watch();

  const std::string what_;
  const rt::Duration bound_;
  // Tasks of one run share one thread and nothing here is a scheduling
  // point, so no lock (and no extra step).
  std::vector<Owed> owed_;
  bool begun_ = false;
  rt::TimePoint began_at_ = rt::kNoDeadline;
  rt::Signal finished_{"liveness.finished"};
  rt::Task watchdog_;
};

}  // namespace drpc::sim
