// What a client says about one call.
#pragma once

#include <optional>

#include "drpc/rpc/cancel.h"
#include "drpc/rpc/metadata.h"
#include "drpc/rt/time.h"

namespace drpc::rpc {

// Meant for designated initializers: conn.Invoke(rpc, in, out, {.deadline = d}).
// (Every member has a `{}` initializer so that GCC 12 does not warn about
// the members left out.)
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
