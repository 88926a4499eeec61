// hostile.client.fixed: the other direction. A hostile peer in the server
// role (sim/peers, PeerRole::kServer) answers a well-behaved rpc::Conn with
// a drawn program of every behaviour, on host "mallory" of the simulated
// world (sim/net/world.h); the Conn and its calls are on host "client", over
// drawn links (DrawLink), with the world's faults off unless the run's
// configuration switches them on (--faults net.*). The client cannot be
// served well, but it must fail well. Checked: every call returns by its deadline plus
// kClientBound of virtual time (ok or an error), Close returns, the client's
// pool ledger balances at every step and every buffer is back at the end,
// and no task is left.
//
//   drpc-sim run --scenario hostile.client.fixed --seed 17
#pragma once

#include <chrono>

#include "drpc/rt/time.h"

namespace drpc::sim::hostile {

inline constexpr rt::Duration kClientDeadline = std::chrono::milliseconds(50);
inline constexpr rt::Duration kClientBound = std::chrono::milliseconds(1);

// Draws the run and performs it. Call inside a run, as its body.
void DrawAndRunClient();

}  // namespace drpc::sim::hostile
