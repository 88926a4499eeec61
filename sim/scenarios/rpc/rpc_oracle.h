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
//     "unavailable" only with a server Stop.
//   * When: a call with a deadline ended by its deadline plus the liveness
//     bound (virtual time).
#pragma once

#include <string>

#include "drpc/rt/time.h"
#include "sim/scenarios/rpc/rpc_calls.h"
#include "sim/scenarios/rpc/rpc_workload.h"

namespace drpc::sim::rpcsim {

// Why `result` is not an outcome `plan` (tagged `tag`, started at `started`)
// may have in workload `w`; empty if it is one.
std::string Judge(const Workload& w, const CallPlan& plan, const std::string& tag,
                  rt::TimePoint started, const CallResult& result, rt::Duration liveness_bound);

// "call 3", "the probe of conn 1", or "no call" for a tag that names none.
std::string TagOwner(const Workload& w, const std::string& tag);

}  // namespace drpc::sim::rpcsim
