// The whole RPC stack on the simulator: a Server (Mux with a handler of
// every shape) accepting through the sim Listener, and one or two client
// Conns dialed through it, driven by a workload drawn from the run's
// decisions (kind kWorkload), so one seed is one whole run:
//   * the network: pipe capacity, frame split size, ring capacity,
//     temporary accept errors injected into the listener;
//   * 1-8 calls, each on a chosen connection at a chosen virtual time:
//     unary echo (with metadata), a failing handler (code 7), an unknown
//     method, server streaming, client streaming, bidi, and a handler that
//     blocks until its call ends; ended by nothing, a CancelToken canceled
//     from another task, or a deadline;
//   * one event at a chosen time: none, a connection reset (the peer
//     vanishes), a client Conn::Close, or a server Stop with a grace period;
//   * then shutdown: every Conn closed, Server::Stop.
// Checked:
//   * at every step: the ledger conservation of every pool of every
//     connection, client and server (a StepHook);
//   * every call returns (a task left blocked is a deadlock the simulator
//     reports), and ends with its exact expected result or with an error
//     the circumstances allow (a cancel only with a token or a Stop, a
//     deadline only with a deadline, a connection error only on a disrupted
//     connection, "server is stopping" only with a Stop);
//   * after shutdown no task is left (the run ends with every fiber
//     exited) and, with everything destroyed, every buffer is back in its
//     pool.
//
//   drpc-sim run --scenario rpc.fixed --seed 17
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "sim/sched/run.h"

namespace drpc::sim::rpcsim {

// Bugs planted in the harness's own server, to show that its checks catch
// what they exist for.
enum class RpcPlant : uint8_t {
  kNone,
  kWrongReply,    // the echo handler corrupts its second reply: the outcome check
  kStuckHandler,  // the blocking handler ignores its end: Stop never returns (deadlock)
};
inline constexpr RpcPlant kPlants[] = {RpcPlant::kWrongReply, RpcPlant::kStuckHandler};

// "rpc.fixed", "rpc.wrong-reply.buggy", "rpc.stuck-handler.buggy".
std::string ScenarioName(RpcPlant plant);
// The failure each plant produces.
Outcome ExpectedOutcome(RpcPlant plant);
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
