// rpc::CallOptions: what a client says about one call (metadata, deadline,
// cancel token), meant for designated initializers.
//
//   conn.Invoke(rpc, in, out, {.deadline = rpc::DeadlineAfter(100ms), .cancel = token});
//
// See docs/rpc.md, "Conn".
#pragma once

#include <optional>

#include "drpc/rpc/cancel.h"
#include "drpc/rpc/metadata.h"
#include "drpc/rt/time.h"

namespace drpc::rpc {

// Every member has a `{}` initializer so that GCC 12 does not warn about
// the members left out of a designated initializer.
struct CallOptions {
  // Outgoing metadata (metadata.h); nothing is sent for an empty map.
  Metadata metadata{};
  // The call's stream is soft-canceled at this time (runtime clock: virtual
  // time in the simulator) and the call returns kDeadlineExceeded; the
  // server's handler sees kCanceled. A deadline already past fails the call
  // before anything is sent. Deadlines do not travel to the server.
  rt::TimePoint deadline = rt::kNoDeadline;
  // Cancels this call (cancel.h).
  std::optional<CancelToken> cancel{};
};

// A deadline `timeout` from now, for CallOptions::deadline.
inline rt::TimePoint DeadlineAfter(rt::Duration timeout) { return rt::now() + timeout; }

}  // namespace drpc::rpc
