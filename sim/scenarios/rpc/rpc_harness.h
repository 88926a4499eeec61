// The whole RPC stack on the simulator: a Server (a Mux with a handler of
// every shape, rpc_handlers.h) accepting through the sim Listener, and one
// or two client Conns dialed through it, driven by a workload drawn from
// the run's decisions (rpc_workload.h), so one seed is one whole run. Each
// run has two phases (sim/liveness/liveness.h):
//   * SAFETY, faults on: transient accept errors (rpc_faults.h), 1-8 calls
//     of every shape with metadata, ended by nothing, a CancelToken canceled
//     from another task, or a deadline, and one event: none, a connection
//     reset (the peer vanishes), a client Conn::Close, or a server Stop with
//     a grace period. It lasts until the event has fired and a drawn time
//     has passed.
//   * LIVENESS, every fault healed and none new, within 50 ms of virtual
//     time: every call issued ends; every connection serves a fresh probe
//     call or reports an error to its user (only a disrupted one may); every
//     connection's buffer pool is back to idle (nothing lent); the shutdown
//     (every Conn closed, Server::Stop) returns; and every task but main
//     exits. A failure is Outcome::kLivenessFailed, naming what is still
//     owed and every waiting task with its wait label.
// Checked in both phases:
//   * at every step: the ledger conservation of every pool of every
//     connection, client and server (a StepHook);
//   * every call's outcome, by the per-call oracle (rpc_oracle.h): its own
//     data only, the replies of its shape, an error only where the faults
//     allow one, and a deadline kept;
//   * after the run, with everything destroyed, every buffer is back in its
//     pool.
//
//   drpc-sim run --scenario rpc.fixed --seed 17
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/run.h"

namespace drpc::sim::rpcsim {

inline constexpr RpcPlant kPlants[] = {RpcPlant::kWrongReply, RpcPlant::kStuckHandler,
                                       RpcPlant::kCrossedReply, RpcPlant::kDeafAfterCancel};

// "rpc.fixed", "rpc.wrong-reply.buggy", "rpc.stuck-handler.buggy",
// "rpc.crossed-reply.buggy", "rpc.deaf-after-cancel.buggy".
std::string ScenarioName(RpcPlant plant);
// What the scenario of `plant` is, for `drpc-sim list`.
std::string ScenarioDescription(RpcPlant plant);
// The failure each plant produces, and a phrase its report contains.
Outcome ExpectedOutcome(RpcPlant plant);
std::string ExpectedReport(RpcPlant plant);
inline constexpr uint64_t kFindWithinSeeds = 200;

RunOptions RpcRunOptions();

// Draws a workload and runs it. Call inside a run, as its body.
void DrawAndRun(RpcPlant plant);

// How the calls of every passing run in this process ended, by shape and
// result ("echo ok", "block canceled", "count closed", ...), so a sweep can
// show (and a test check) which paths the workload reached. Counting
// never influences a run.
std::map<std::string, uint64_t>& OutcomeTally();

}  // namespace drpc::sim::rpcsim
