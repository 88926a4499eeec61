// The client side the stalled-peer workloads share (stalled_peer.cc,
// stalled_close.cc): a pipe of a drawn capacity (256 B, 1 KiB or 4 KiB; one
// workload choice) and connection options whose writer mark (1 KiB) and
// frame size (256 B) let a few small messages fill the pipe and the writer;
// and how their calls end (CallEnd, SpawnCall).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "drpc/base/unique_function.h"
#include "drpc/rpc/call_options.h"
#include "drpc/rpc/cancel.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "sim/net/pipe.h"

namespace drpc::sim::layers {

struct StalledClient {
  net::PipeEnds ends;  // a: the client's connection, b: the peer's
  size_t pipe_capacity = 0;
  rpc::ConnOptions options;
};

StalledClient MakeStalledClient();

// How a stalled call ends: a cancel token a task cancels at `ends`, or
// (no token) its deadline at `ends`.
struct CallEnd {
  std::optional<rpc::CancelToken> token;
  rt::TimePoint ends{};
  // The call's options: the token, or the deadline.
  rpc::CallOptions Options() const;
};

// Spawns "call<i>" running `body`, then, if `end` has a token, "cancel<i>",
// which cancels it at `end.ends`; both go to `tasks`. `end` must outlive them.
void SpawnCall(std::vector<rt::Task>& tasks, size_t i, CallEnd& end, UniqueFunction<void()> body);

}  // namespace drpc::sim::layers
