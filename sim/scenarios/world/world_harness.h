// The rpc.world family: the rpc family's service, calls and per-call oracle
// (sim/scenarios/rpc) on the simulated world (sim/net/world.h). 2-4 client
// hosts with 1-2 Conns each (sim::net::Dial) call 1-2 servers on hosts of
// their own (World::Boot: a crash kills the server where it stands, the
// restart serves again), with 0-1 hostile peer (sim/peers) attacking a
// server alongside. Each run has two phases (sim/liveness/liveness.h):
//   * SAFETY: drawn links (latency bounds, tail, bandwidth, buffer), refused
//     connects and a small backlog, accept errors, and the drawn timed faults
//     (world_workload.h: reset, half-open of either end, partition, crash,
//     slow reader), called by the harness so it logs, per (client, server)
//     pair, when each first broke or delayed a connection. Every call is
//     judged by the rpc oracle with what that log allows (rpc_oracle.h
//     Allowed): a connection error only on a pair broken before the call
//     ended; a success must carry its own handler's reply. Pool ledgers are
//     checked at every step.
//   * LIVENESS: World::HealAll, no new faults, within kLivenessBound of
//     virtual time: every call ends, every Conn serves a fresh probe call or
//     reports an error (only a broken pair may), the client pools of
//     unbroken connections and the pools of the live servers' connections
//     are idle (lend no buffer), the shutdown (Conns closed, the peer
//     released, every server Stop) returns, and no task is left waiting.
// A call has no timeout of its own, so a Conn whose server's end vanished
// without a restart (half-open) waits until TCP keepalive finds the peer
// gone (the world's links model it, sim/net/world.h; about a minute by
// default, far past the liveness bound). The fixed scenario therefore gives
// every call and probe on a pair with a planned half-open-server fault a
// backstop deadline (the liveness phase's start plus half its bound);
// world.half-open-call-waits gives none and shortens the links' keepalive
// instead. (A crash needs neither: the restart resets the old connections.)
// Likewise a server whose client's end vanished keeps that connection's
// streams until keepalive finds the peer gone, so the fixed scenario does not
// ask such a server to get back to idle (HalfOpenGuard::kBackstop).
//
//   drpc-sim run --scenario rpc.world.fixed --seed 17
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "drpc/rt/time.h"
#include "sim/sched/run.h"

namespace drpc::sim::worldsim {

inline constexpr rt::Duration kLivenessBound = std::chrono::milliseconds(100);

RunOptions WorldRunOptions();

// What the harness excuses on connections the faults may leave half-open:
//   kBackstop   (rpc.world.fixed) a call to a server whose end may vanish
//               gets a deadline, and a server whose client end may vanish is
//               not asked to get back to idle (it holds the streams of a
//               client it cannot tell is gone until keepalive does);
//   kKeepalive  (world.half-open-call-waits) such a call gets no deadline,
//               as a user's would not: only the links' keepalive, shortened
//               to kKeepalive, ends it;
//   kServerKeepalive (world.half-open-server-releases) every Conn's client
//               end vanishes early; the calls keep their deadline, every live
//               server must get back to idle, and only the links' keepalive,
//               shortened to kKeepalive, tells a server its client is gone;
//   kServerIdle the same with the links' default keepalive (60 s, past the
//               liveness bound): the server idle check fails (a test shows
//               the check can fail).
enum class HalfOpenGuard : uint8_t { kBackstop, kKeepalive, kServerKeepalive, kServerIdle };
inline constexpr rt::Duration kKeepalive = kLivenessBound / 4;

// Draws a world workload and runs it. Call inside a run, as its body.
void DrawAndRun(HalfOpenGuard guard = HalfOpenGuard::kBackstop);

// What every passing run in this process reached: "fault crash", "dial
// failed", "hostile peer", "call echo closed", "probe ok", ... so a sweep
// (and a test) can show the faults fired and the outcomes they allow were
// seen. Counting never influences a run.
std::map<std::string, uint64_t>& WorldTally();

}  // namespace drpc::sim::worldsim
