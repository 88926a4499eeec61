// What one seed of the rpc.world family draws (kind kWorkload, option 0 the
// plain case): the hosts (2-4 clients with 1-2 Conns each, 1-2 servers, 0-1
// hostile peer), the links (latency bounds, tail, bandwidth, buffer), the
// world's per-connect faults (refused, backlog), the calls (the rpc
// family's DrawCalls, so both families share shapes, endings, metadata and
// tags), and the faults the harness calls at drawn times (reset, half-open
// of either end, partition, crash, slow reader). The harness calls the
// timed faults itself, rather than letting the world draw them, so it knows
// which connections each one hit: the oracle needs that (world_harness.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/net/world.h"
#include "sim/scenarios/rpc/rpc_workload.h"

namespace drpc::sim::worldsim {

struct ConnPlan {
  size_t client = 0;  // client host index
  size_t server = 0;  // server index
};

enum class FaultKind : uint8_t {
  kReset,           // every connection between the client and the server resets
  kHalfOpenClient,  // the client's end vanishes (the server's reads block)
  kHalfOpenServer,  // the server's end vanishes (the client's reads block)
  kPartition,       // the client and the server are cut apart for `lasts_us`
  kCrash,           // the server host crashes; restarted after `lasts_us`
  kSlowReader,      // the client's end reads slowly
};
inline constexpr int kFaultKinds = 6;
const char* FaultName(FaultKind kind);  // "reset", ...

struct FaultPlan {
  int64_t at_us = 0;
  FaultKind kind = FaultKind::kReset;
  size_t client = 0;
  size_t server = 0;
  int64_t lasts_us = 0;  // partition, crash
};

struct WorldWorkload {
  // The calls (rpc_workload.h), on connections 0..conns.size()-1; `conns`
  // is their count, the event is none: it names the tags' owners.
  rpcsim::Workload calls;
  size_t clients = 0;
  size_t servers = 0;
  std::vector<ConnPlan> conns;
  net::WorldOptions world;
  std::vector<FaultPlan> faults;
  bool hostile = false;  // a hostile peer attacks server hostile_server
  size_t hostile_server = 0;
  // The safety phase lasts this long, and at least until just after the
  // last fault fired.
  int64_t heal_us = 0;
  int64_t stop_grace_us = 0;
};

WorldWorkload DrawWorldWorkload();

// Adds, for every Conn, a half-open-client fault on its pair at a drawn time
// in the first 500us, while calls are likely in flight (drawn after
// everything else, so the rest of the seed's workload stays as drawn): what
// world.half-open-server-releases needs to reach the server idle check
// with calls cut off by a vanished client.
void AddClientVanishings(WorldWorkload& w);

// "clients 3, servers 2, conns [c0>s1 c1>s0 ...], link 10us..1ms tail 1/20 ..., faults [...]".
std::string DescribeWorld(const WorldWorkload& w);

}  // namespace drpc::sim::worldsim
