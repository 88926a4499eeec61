// The rpc family's scenarios, one per plant of its service: names, what
// each is for, and the failure each must produce (rpc_harness.h).
#include <string>

#include "sim/scenarios/rpc/rpc_harness.h"

namespace drpc::sim::rpcsim {

std::string ScenarioName(RpcPlant plant) {
  switch (plant) {
    case RpcPlant::kNone:
      return "rpc.fixed";
    case RpcPlant::kWrongReply:
      return "rpc.wrong-reply.buggy";
    case RpcPlant::kStuckHandler:
      return "rpc.stuck-handler.buggy";
    case RpcPlant::kCrossedReply:
      return "rpc.crossed-reply.buggy";
    case RpcPlant::kDeafAfterCancel:
      return "rpc.deaf-after-cancel.buggy";
  }
  return "rpc.unknown";
}

std::string ScenarioDescription(RpcPlant plant) {
  switch (plant) {
    case RpcPlant::kNone:
      return "rpc Conn + Server + Mux over the sim listener: unary/streaming/bidi calls with "
             "metadata, cancel tokens, deadlines, unknown methods, handler errors; a safety "
             "phase with accept errors and a reset, client Close or server Stop, then a healed "
             "liveness phase (calls end, connections serve a probe, pools idle, shutdown); "
             "ledger, per-call oracle and liveness checks";
    case RpcPlant::kWrongReply:
      return "the rpc workload with an echo handler that corrupts a reply: the oracle";
    case RpcPlant::kStuckHandler:
      return "the rpc workload with a handler that ignores its call's end: Stop never returns "
             "(the liveness phase names the stuck handler)";
    case RpcPlant::kCrossedReply:
      return "the rpc workload with an echo handler that answers a call with another call's "
             "reply: the oracle (a call received another call's data)";
    case RpcPlant::kDeafAfterCancel:
      return "the rpc workload with a server that stops replying to echo calls once a call was "
             "canceled: a healed connection never serves again (the liveness phase's probe)";
  }
  return "";
}

Outcome ExpectedOutcome(RpcPlant plant) {
  switch (plant) {
    case RpcPlant::kNone:
      return Outcome::kOk;
    case RpcPlant::kWrongReply:
    case RpcPlant::kCrossedReply:
      return Outcome::kInvariantFailed;
    case RpcPlant::kStuckHandler:
    case RpcPlant::kDeafAfterCancel:
      return Outcome::kLivenessFailed;
  }
  return Outcome::kOk;
}

std::string ExpectedReport(RpcPlant plant) {
  switch (plant) {
    case RpcPlant::kNone:
      return "";
    case RpcPlant::kWrongReply:
      return "reply 0 is '";
    case RpcPlant::kCrossedReply:
      return "received call ";
    case RpcPlant::kStuckHandler:
      return "planted: a handler that ignores its call's end";
    case RpcPlant::kDeafAfterCancel:
      return "planted: echo waits for its call's end instead of replying";
  }
  return "";
}

}  // namespace drpc::sim::rpcsim
