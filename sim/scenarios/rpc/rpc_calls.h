// The client side of the rpc scenario: one call of a planned shape on a
// connection, recording everything the call saw (its end status and every
// reply message) for the oracle (rpc_oracle.h) to judge. It judges nothing
// itself.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/call_options.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "sim/scenarios/rpc/rpc_workload.h"

namespace drpc::sim::rpcsim {

struct CallResult {
  Status status;                     // ok: the call finished (a stream's EOF after its replies)
  std::vector<std::string> replies;  // every message received, in order
  int sent = 0;                      // sum: messages whose Send succeeded
  rt::TimePoint ended{};
};

// The options of planned call `i`, started at `started`: its metadata and its
// ending (a deadline, or a cancel token that `canceler`, a task spawned here,
// cancels at the planned time; the caller joins it once the call returned).
rpc::CallOptions PlannedCallOptions(const CallPlan& plan, size_t i, rt::TimePoint started,
                                    rt::Task& canceler);

// Runs `plan`'s shape on `conn` with request tag `tag` and `options`.
CallResult RunCall(rpc::Conn& conn, const CallPlan& plan, const std::string& tag,
                   const rpc::CallOptions& options);

}  // namespace drpc::sim::rpcsim
