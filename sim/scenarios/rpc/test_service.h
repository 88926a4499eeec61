// The handlers the simulated RPC scenarios serve: one of every call shape,
// on one Mux. Shared by the rpc family (rpc_harness.cc) and the hostile
// family (sim/scenarios/hostile), so every family checks the same replies:
//   Echo   unary: "<request>|<metadata k=v;...>" (sorted, deterministic)
//   Fail   unary: fails with code kFailCode and kFailText
//   Count  server streaming: "c0", "c1", ... as many as the request says
//   Sum    client streaming: the sum of the integers sent
//   Chat   bidi: "e:<message>" for each message
//   Block  unary: waits until its call ends, returns the termination error
// Handlers sometimes pause (a tape draw, kind kWorkload) so deadlines and
// cancels land in the middle of streams. Simulator only.
#pragma once

#include <cstdint>
#include <string>

#include "drpc/rpc/metadata.h"
#include "drpc/rpc/mux.h"
#include "drpc/rt/signal.h"
#include "sim/scenarios/rpc/rpc_harness.h"

namespace drpc::sim::rpcsim {

inline constexpr char kEchoRpc[] = "/sim.Test/Echo";
inline constexpr char kFailRpc[] = "/sim.Test/Fail";
inline constexpr char kUnknownRpc[] = "/x.Y/Z";
inline constexpr char kCountRpc[] = "/sim.Test/Count";
inline constexpr char kSumRpc[] = "/sim.Test/Sum";
inline constexpr char kChatRpc[] = "/sim.Test/Chat";
inline constexpr char kBlockRpc[] = "/sim.Test/Block";
inline constexpr uint64_t kFailCode = 7;
inline constexpr char kFailText[] = "sim handler failed";

// "k=v;" for each entry, in key order: the echo reply's suffix.
std::string MetadataSummary(const rpc::Metadata& md);

class TestServer {
 public:
  explicit TestServer(RpcPlant plant = RpcPlant::kNone);

  rpc::Mux mux;

 private:
  const RpcPlant plant_;
  int echoes_ = 0;  // fibers on one thread: no lock needed, and none wanted (no extra steps)
  rt::Signal never_{"planted.never"};
};

}  // namespace drpc::sim::rpcsim
