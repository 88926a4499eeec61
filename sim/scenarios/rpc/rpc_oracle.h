// The rpc scenario's per-call oracle: every call's outcome must be one the
// run's faults allow.
//   * Whose data: every reply a call received carries the call's own tag
//     (rpc_workload.h), so no call, unary or stream, ever sees another
//     call's data; a successful unary call got its own handler's reply.
//   * What data: a call that succeeded received exactly its shape's
//     replies (the echo of its payload and metadata, N counted messages,
//     the sum of what it sent, one echo per chat message and nothing after
//     CloseSend); a call that failed received a prefix of them.
//   * Which errors: an expected error (the failing handler's code 7, the
//     unknown method's protocol error), a cancel only with a token or a
//     server Stop, a deadline only with a deadline, a connection error only
//     on a disrupted connection (reset, closed, or the server stopped),
//     "unavailable" only with a server Stop (Allowed: what the faults allow).
//   * When: a call with a deadline ended by its deadline plus the liveness
//     bound (virtual time).
#pragma once

#include <string>

#include "drpc/rt/time.h"
#include "sim/scenarios/rpc/rpc_calls.h"
#include "sim/scenarios/rpc/rpc_workload.h"

namespace drpc::sim::rpcsim {

// The errors a run's faults allow a call, beyond its own shape's, its
// cancel token's and its deadline's. Each scenario family knows its faults:
// the rpc family's one event (AllowedByEvent), the world's per-connection
// fault log (sim/scenarios/world).
struct Allowed {
  bool connection_error = false;  // kClosed, kConnection, kEof: its connection was disrupted
  bool deadline = false;          // kDeadlineExceeded from a deadline the plan did not draw
                                  // (a backstop on a connection the faults delayed)
  bool server_stop = false;       // kCanceled and "unavailable": the server stopped
};
// What the rpc family's event (reset, client Close, server Stop) allows `plan`.
Allowed AllowedByEvent(const Workload& w, const CallPlan& plan);

// Why `result` is not an outcome `plan` (tagged `tag`, started at `started`)
// may have in workload `w` (its calls name the tags) given what the faults
// allow; empty if it is one.
std::string Judge(const Workload& w, const CallPlan& plan, const std::string& tag,
                  rt::TimePoint started, const CallResult& result, rt::Duration liveness_bound,
                  const Allowed& allowed);

// "call 3", "the probe of conn 1", or "no call" for a tag that names none.
std::string TagOwner(const Workload& w, const std::string& tag);

}  // namespace drpc::sim::rpcsim
