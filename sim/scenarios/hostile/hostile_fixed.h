// hostile.fixed: 1-3 hostile peers, each with a drawn program of every
// behaviour (sim/peers/behaviour.h), attack a server while 1-2 well-behaved
// clients call it, each peer and client on a host of its own in the
// simulated world (sim/net/world.h) over drawn links. Checked, beyond the
// world's ledger and shutdown checks (hostile_world.h): the server never
// fails an assertion, and every call a well-behaved client makes after the
// peers started (unary echo, bidi chat) completes with its exact reply
// within kServeBound of virtual time.
//
// The world's faults are off unless the run's configuration switches them
// on (--faults net.reset,net.partition,..., --swarm; also rt.spawn-failure,
// rpc.accept-error); then each call has a deadline of kFaultedCallDeadline
// and may also end with an error the faults allow (CallFaults), by its
// deadline plus kFaultedCallLate, but never with a wrong reply.
//
//   drpc-sim run --scenario hostile.fixed --seed 17
//   drpc-sim sweep --scenario hostile.fixed --seeds 500 --faults net.reset,net.half-open
#pragma once

#include <chrono>

#include "drpc/rt/time.h"
#include "sim/peers/behaviour.h"
#include "sim/scenarios/rpc/rpc_harness.h"
#include "sim/sched/run.h"

namespace drpc::sim::hostile {

inline constexpr rt::Duration kServeBound = std::chrono::milliseconds(10);
inline constexpr rt::Duration kFaultedCallDeadline = std::chrono::milliseconds(100);
inline constexpr rt::Duration kFaultedCallLate = std::chrono::milliseconds(1);

RunOptions HostileRunOptions();

// Draws the world and runs it. Call inside a run, as its body. A plant
// (hostile.wrong-reply.buggy, hostile.stuck-handler.buggy) shows the
// checks catch a server that answers wrongly or never lets Stop finish.
void DrawAndRunFixed(rpcsim::RpcPlant plant = rpcsim::RpcPlant::kNone);

// The behaviours every peer of every hostile.fixed run in this process
// performed, so a test can show each mutation class is reached. Counting
// never influences a run.
peers::BehaviourCounts& FixedBehaviourTally();

// Well-behaved calls of passing hostile.fixed runs in this process that
// ended with an error the world's faults allow, so a test can show the
// faults reached them. Counting never influences a run.
uint64_t& FixedFaultedCalls();

}  // namespace drpc::sim::hostile
