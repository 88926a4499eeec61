// The rpc scenario's service: a Mux with one handler of every call shape
// (rpc_workload.h's Shape), whose replies carry the tag of the call they
// answer (rpc_workload.h), and the bugs that can be planted in it to show
// that the harness's checks catch what they exist for. Other scenario
// families (hostile peers) may serve it too.
//
//   TestService service(RpcPlant::kNone);
//   rpc::Server server(service.mux, options);
#pragma once

#include <cstdint>
#include <string>

#include "drpc/rpc/mux.h"
#include "drpc/rt/signal.h"

namespace drpc::sim::rpcsim {

inline constexpr char kEchoRpc[] = "/sim.Test/Echo";    // unary: "<tag>|<metadata summary>"
inline constexpr char kFailRpc[] = "/sim.Test/Fail";    // unary: fails with kFailCode
inline constexpr char kUnknownRpc[] = "/x.Y/Z";         // not registered
inline constexpr char kCountRpc[] = "/sim.Test/Count";  // "<tag>|N" -> "<tag>|c0".."<tag>|cN-1"
inline constexpr char kSumRpc[] = "/sim.Test/Sum";      // "<tag>|k"... -> "<tag>|sum"
inline constexpr char kChatRpc[] = "/sim.Test/Chat";    // "<tag>|mI" -> "<tag>|mI|e"
inline constexpr char kBlockRpc[] = "/sim.Test/Block";  // returns when its call ends
inline constexpr uint64_t kFailCode = 7;
inline constexpr char kFailText[] = "sim handler failed";

// Bugs planted in the harness's own server.
enum class RpcPlant : uint8_t {
  kNone,
  kWrongReply,       // the echo handler corrupts its second reply: the oracle
  kStuckHandler,     // the blocking handler ignores its call's end: Stop never
                     // returns (the liveness phase)
  kCrossedReply,     // the echo handler answers its second call with the first
                     // call's reply: the oracle ("received call N's data")
  kDeafAfterCancel,  // once a call was canceled, echo handlers never reply: a
                     // healed connection never serves again (the liveness phase)
};

class TestService {
 public:
  explicit TestService(RpcPlant plant = RpcPlant::kNone);
  TestService(const TestService&) = delete;
  TestService& operator=(const TestService&) = delete;

  rpc::Mux mux;

 private:
  std::string Echo(rpc::ServerCall& call, const std::string& in);

  const RpcPlant plant_;
  // Tasks of one run share one thread: no lock needed, and none wanted (no
  // extra steps).
  int echoes_ = 0;
  std::string first_echo_;   // kCrossedReply: the reply it hands out again
  bool saw_cancel_ = false;  // kDeafAfterCancel
  rt::Signal never_{"planted.never"};
};

}  // namespace drpc::sim::rpcsim
