#include "sim/scenarios/rpc/rpc_oracle.h"

#include <vector>

#include "drpc/base/status.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/fault_config.h"
#include "sim/sched/trace.h"

namespace drpc::sim::rpcsim {
namespace {

std::vector<std::string> ExpectedReplies(const CallPlan& plan, const std::string& tag,
                                         const CallResult& r) {
  std::vector<std::string> want;
  switch (plan.shape) {
    case Shape::kEcho:
      want.push_back(tag + "|" + MetadataSummary(plan.metadata));
      break;
    case Shape::kCount:
      for (int i = 0; i < plan.messages; ++i) want.push_back(tag + "|c" + std::to_string(i));
      break;
    case Shape::kSum:
      want.push_back(tag + "|" + std::to_string(int64_t{r.sent} * (r.sent + 1) / 2));
      break;
    case Shape::kChat:
      for (int i = 0; i < plan.messages; ++i) want.push_back(tag + "|m" + std::to_string(i) + "|e");
      break;
    case Shape::kFail:
    case Shape::kUnknown:
    case Shape::kBlock:
      break;
  }
  return want;
}

// Why `st` is not an allowed end of `plan` (empty if it is).
std::string DisallowedStatus(const Allowed& allowed, const CallPlan& plan, const Status& st) {
  const bool expect_error =
      plan.shape == Shape::kFail || plan.shape == Shape::kUnknown || plan.shape == Shape::kBlock;
  if (st.ok()) return expect_error ? "succeeded" : "";
  if (plan.shape == Shape::kFail && st.is(ErrorKind::kRemote) && st.code() == kFailCode &&
      st.message() == kFailText) {
    return "";
  }
  if (plan.shape == Shape::kUnknown && st.is(ErrorKind::kRemote) && st.wire_code() == 0 &&
      st.message() == "protocol error: unknown rpc: \"/x.Y/Z\"") {
    return "";
  }
  if (st.is(ErrorKind::kCanceled) && (plan.ending == Ending::kCancel || allowed.server_stop)) {
    return "";
  }
  if (st.is(ErrorKind::kDeadlineExceeded) &&
      (plan.ending == Ending::kDeadline || allowed.deadline)) {
    return "";
  }
  if (allowed.connection_error &&
      (st.is(ErrorKind::kClosed) || st.is(ErrorKind::kConnection) || st.is(ErrorKind::kEof))) {
    return "";
  }
  if (allowed.server_stop && st.is(ErrorKind::kRemote) && st.code() == StatusCode::kUnavailable) {
    return "";
  }
  // A task that could not start (fault site rt.spawn-failure) ends its
  // connection: its calls fail with the code, or as on a closed connection.
  if (CurrentFaults().OneIn("rt.spawn-failure") != 0 &&
      (st.code() == StatusCode::kResourceExhausted || st.is(ErrorKind::kClosed) ||
       st.is(ErrorKind::kConnection) || st.is(ErrorKind::kEof))) {
    return "";
  }
  return "ended with " + st.ToString();
}

}  // namespace

Allowed AllowedByEvent(const Workload& w, const CallPlan& plan) {
  Allowed allowed;
  allowed.server_stop = w.event == Event::kServerStop;
  allowed.connection_error =
      allowed.server_stop ||
      ((w.event == Event::kReset || w.event == Event::kClientClose) && w.event_conn == plan.conn);
  return allowed;
}

std::string TagOwner(const Workload& w, const std::string& tag) {
  if (tag.size() >= 2 && (tag[0] == 't' || tag[0] == 'p') &&
      tag.find_first_not_of("0123456789", 1) == std::string::npos && tag.size() < 10) {
    const size_t n = std::stoul(tag.substr(1));
    if (tag[0] == 't' && n < w.calls.size()) return "call " + std::to_string(n);
    if (tag[0] == 'p' && n < w.conns) return "the probe of conn " + std::to_string(n);
  }
  return "no call";
}

std::string Judge(const Workload& w, const CallPlan& plan, const std::string& tag,
                  rt::TimePoint started, const CallResult& result, rt::Duration liveness_bound,
                  const Allowed& allowed) {
  for (const std::string& reply : result.replies) {
    if (TagOf(reply) != tag) {
      return "received " + TagOwner(w, TagOf(reply)) + "'s data: '" + reply + "'";
    }
  }
  if (plan.ending == Ending::kDeadline) {
    const rt::TimePoint latest = started + std::chrono::microseconds(plan.end_us) + liveness_bound;
    if (result.ended > latest) {
      return "ended at " + FormatTime(result.ended.time_since_epoch().count()) +
             ", after its deadline plus the liveness bound (" +
             FormatTime(latest.time_since_epoch().count()) + ")";
    }
  }
  const std::vector<std::string> want = ExpectedReplies(plan, tag, result);
  const size_t common = std::min(want.size(), result.replies.size());
  for (size_t i = 0; i < common; ++i) {
    if (result.replies[i] != want[i]) {
      return "reply " + std::to_string(i) + " is '" + result.replies[i] + "', expected '" +
             want[i] + "'";
    }
  }
  if (result.replies.size() > want.size()) {
    return "received " + std::to_string(result.replies.size()) + " replies, expected " +
           std::to_string(want.size()) + " (the extra one: '" + result.replies[want.size()] + "')";
  }
  if (result.status.ok() && result.replies.size() < want.size()) {
    return "succeeded with " + std::to_string(result.replies.size()) + " replies, expected " +
           std::to_string(want.size());
  }
  return DisallowedStatus(allowed, plan, result.status);
}

}  // namespace drpc::sim::rpcsim
