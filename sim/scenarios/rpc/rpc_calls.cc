#include "sim/scenarios/rpc/rpc_calls.h"

#include <chrono>
#include <string>

#include "drpc/base/check.h"
#include "drpc/rt/rt.h"
#include "sim/scenarios/rpc/rpc_handlers.h"

namespace drpc::sim::rpcsim {
namespace {

using rpc::CallOptions;
using rpc::Conn;

void Unary(Conn& conn, const CallPlan& plan, const std::string& tag, const CallOptions& options,
           CallResult& r) {
  const char* method = plan.shape == Shape::kEcho    ? kEchoRpc
                       : plan.shape == Shape::kFail  ? kFailRpc
                       : plan.shape == Shape::kBlock ? kBlockRpc
                                                     : kUnknownRpc;
  std::string reply;
  r.status = conn.Invoke(method, tag, reply, options);
  if (r.status.ok()) r.replies.push_back(std::move(reply));
}

void Count(Conn& conn, const CallPlan& plan, const std::string& tag, const CallOptions& options,
           CallResult& r) {
  auto s = conn.NewStream<std::string, std::string>(kCountRpc, options);
  if (!s.ok()) {
    r.status = s.status();
    return;
  }
  (void)s->Send(tag + "|" + std::to_string(plan.messages));
  (void)s->CloseSend();
  // One receive more than the messages planned: it must be the end.
  std::string msg;
  for (int i = 0; i <= plan.messages; ++i) {
    r.status = s->Recv(msg);
    if (!r.status.ok()) break;
    r.replies.push_back(msg);
  }
  if (r.status.is(ErrorKind::kEof)) r.status = OkStatus();  // the end after every message
}

void Sum(Conn& conn, const CallPlan& plan, const std::string& tag, const CallOptions& options,
         CallResult& r) {
  auto s = conn.NewStream<std::string, std::string>(kSumRpc, options);
  if (!s.ok()) {
    r.status = s.status();
    return;
  }
  for (int i = 0; i < plan.messages; ++i) {
    if (!s->Send(tag + "|" + std::to_string(i + 1)).ok()) break;  // the receive has the status
    ++r.sent;
  }
  std::string total;
  r.status = s->CloseAndRecv(total);
  if (r.status.ok()) r.replies.push_back(std::move(total));
}

void Chat(Conn& conn, const CallPlan& plan, const std::string& tag, const CallOptions& options,
          CallResult& r) {
  auto s = conn.NewStream<std::string, std::string>(kChatRpc, options);
  if (!s.ok()) {
    r.status = s.status();
    return;
  }
  std::string msg;
  for (int i = 0; i < plan.messages; ++i) {
    (void)s->Send(tag + "|m" + std::to_string(i));
    r.status = s->Recv(msg);
    if (!r.status.ok()) return;
    r.replies.push_back(msg);
  }
  (void)s->CloseSend();
  r.status = s->Recv(msg);
  if (r.status.ok()) r.replies.push_back(msg);  // a reply after CloseSend: the oracle objects
  if (r.status.is(ErrorKind::kEof)) r.status = OkStatus();
}

}  // namespace

CallOptions PlannedCallOptions(const CallPlan& plan, size_t i, rt::TimePoint started,
                               rt::Task& canceler) {
  CallOptions options;
  options.metadata = plan.metadata;
  if (plan.ending == Ending::kCancel) {
    rpc::CancelToken token;
    options.cancel = token;
    canceler = rt::spawn("cancel " + std::to_string(i), [token, at = plan.end_us] {
      rt::sleep_for(std::chrono::microseconds(at));
      token.Cancel();
    });
  } else if (plan.ending == Ending::kDeadline) {
    options.deadline = started + std::chrono::microseconds(plan.end_us);
  }
  return options;
}

CallResult RunCall(Conn& conn, const CallPlan& plan, const std::string& tag,
                   const CallOptions& options) {
  CallResult r;
  switch (plan.shape) {
    case Shape::kEcho:
    case Shape::kFail:
    case Shape::kUnknown:
    case Shape::kBlock:
      Unary(conn, plan, tag, options, r);
      break;
    case Shape::kCount:
      Count(conn, plan, tag, options, r);
      break;
    case Shape::kSum:
      Sum(conn, plan, tag, options, r);
      break;
    case Shape::kChat:
      Chat(conn, plan, tag, options, r);
      break;
  }
  r.ended = rt::now();
  return r;
}

}  // namespace drpc::sim::rpcsim
