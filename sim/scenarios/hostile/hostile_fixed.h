// hostile.fixed: 1-3 hostile peers, each with a drawn program of every
// behaviour (sim/peers/behaviour.h), attack a server while 1-2 well-behaved
// clients call it. Checked, beyond the world's ledger and shutdown checks
// (hostile_world.h): the server never fails an assertion, and every call a
// well-behaved client makes after the peers started (unary echo, bidi chat)
// completes with its exact reply within kServeBound of virtual time.
//
//   drpc-sim run --scenario hostile.fixed --seed 17
#pragma once

#include <chrono>

#include "drpc/rt/time.h"
#include "sim/peers/behaviour.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/sched/run.h"

namespace drpc::sim::hostile {

inline constexpr rt::Duration kServeBound = std::chrono::milliseconds(10);

RunOptions HostileRunOptions();

// Draws the world and runs it. Call inside a run, as its body. A plant
// (hostile.wrong-reply.buggy, hostile.stuck-handler.buggy) shows the
// checks catch a server that answers wrongly or never lets Stop finish.
void DrawAndRunFixed(rpcsim::RpcPlant plant = rpcsim::RpcPlant::kNone);

// The behaviours every peer of every hostile.fixed run in this process
// performed, so a test can show each mutation class is reached. Counting
// never influences a run.
peers::BehaviourCounts& FixedBehaviourTally();

}  // namespace drpc::sim::hostile
