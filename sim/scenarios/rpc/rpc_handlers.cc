#include "sim/scenarios/rpc/rpc_handlers.h"

#include <charconv>
#include <chrono>
#include <optional>

#include "drpc/base/status.h"
#include "drpc/rt/rt.h"
#include "sim/scenarios/rpc/rpc_workload.h"
#include "sim/sched/run.h"

namespace drpc::sim::rpcsim {
namespace {

using rpc::ServerCall;

// A handler's pause before a message, sometimes: lets deadlines and
// cancels land in the middle of streams (virtual time moves only when
// something waits).
void MaybePause() {
  if (sim::Choose(4, ChoiceKind::kWorkload) == 1) {
    rt::sleep_for(std::chrono::microseconds(10 * (1 + sim::Choose(5, ChoiceKind::kWorkload))));
  }
}

// The part of a tagged message after its tag.
std::string Body(const std::string& message) {
  const size_t bar = message.find('|');
  return bar == std::string::npos ? message : message.substr(bar + 1);
}

// A message body's integer; nullopt for anything else (a hostile peer sends
// any bytes, and a handler must answer them with an error, not throw).
std::optional<int64_t> ParseInt(const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Count's largest request: a hostile peer must not make a run stream forever.
constexpr int64_t kMaxCount = 64;

std::string MetadataTag(const ServerCall& call) {
  auto it = call.metadata().find(kTagKey);
  return it == call.metadata().end() ? std::string("?") : it->second;
}

}  // namespace

TestService::TestService(RpcPlant plant) : plant_(plant) {
  mux.RegisterUnary<std::string, std::string>(
      kEchoRpc, [this](ServerCall& call, const std::string& in, std::string& out) {
        MaybePause();
        if (plant_ == RpcPlant::kDeafAfterCancel && saw_cancel_) {
          call.done().wait("planted: echo waits for its call's end instead of replying");
          return call.stream().termination_error();
        }
        out = Echo(call, in);
        return OkStatus();
      });
  mux.RegisterUnary<std::string, std::string>(kFailRpc,
                                              [](ServerCall&, const std::string&, std::string&) {
                                                return WithCode(DrpcError(kFailText), kFailCode);
                                              });
  mux.RegisterServerStream<std::string, std::string>(
      kCountRpc, [](ServerCall&, const std::string& in, rpc::ServerWriter<std::string>& out) {
        const std::string tag = TagOf(in);
        const std::optional<int64_t> n = ParseInt(Body(in));
        if (!n || *n < 0 || *n > kMaxCount) {
          return InvalidArgumentError("count: not a number from 0 to " + std::to_string(kMaxCount));
        }
        for (int64_t i = 0; i < *n; ++i) {
          MaybePause();
          if (Status st = out.Send(tag + "|c" + std::to_string(i)); !st.ok()) return st;
        }
        return OkStatus();
      });
  mux.RegisterClientStream<std::string, std::string>(
      kSumRpc, [](ServerCall& call, rpc::ServerReader<std::string>& in, std::string& out) {
        int64_t sum = 0;
        std::string msg;
        Status st;
        // Bounded by the client's messages: it ends with EOF or an error.
        while ((st = in.Recv(msg)).ok()) {
          const std::optional<int64_t> term = ParseInt(Body(msg));
          if (!term) return InvalidArgumentError("sum: not a number");
          sum += *term;
          MaybePause();
        }
        if (!st.is(ErrorKind::kEof)) return st;
        out = MetadataTag(call) + "|" + std::to_string(sum);
        return OkStatus();
      });
  mux.RegisterBidiStream<std::string, std::string>(
      kChatRpc, [](ServerCall&, rpc::ServerReaderWriter<std::string, std::string>& stream) {
        std::string msg;
        Status st;
        while ((st = stream.Recv(msg)).ok()) {
          MaybePause();
          if (Status sent = stream.Send(msg + "|e"); !sent.ok()) return sent;
        }
        return st.is(ErrorKind::kEof) ? OkStatus() : st;
      });
  mux.RegisterUnary<std::string, std::string>(
      kBlockRpc, [this](ServerCall& call, const std::string&, std::string&) {
        if (plant_ == RpcPlant::kStuckHandler) {
          never_.wait("planted: a handler that ignores its call's end");
        }
        call.done().wait("block: waits until its call ends");
        saw_cancel_ = saw_cancel_ || call.stream().termination_error().is(ErrorKind::kCanceled);
        return call.stream().termination_error();
      });
}

std::string TestService::Echo(ServerCall& call, const std::string& in) {
  std::string out = in + "|" + MetadataSummary(call.metadata());
  ++echoes_;
  if (plant_ == RpcPlant::kWrongReply && echoes_ == 2) out.pop_back();
  if (plant_ == RpcPlant::kCrossedReply) {
    if (echoes_ == 1) first_echo_ = out;
    if (echoes_ == 2) out = first_echo_;
  }
  return out;
}

}  // namespace drpc::sim::rpcsim
