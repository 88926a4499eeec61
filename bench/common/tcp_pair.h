// A connected pair of TCP transports over loopback, for benchmarks that
// measure against the kernel's own TCP path. A failure to set it up aborts
// the benchmark (DRPC_ASSERT): there is nothing to measure without it.
#pragma once

#include "drpc/rt/os/socket_pair.h"

namespace drpc::bench {

// a: the dialed end (TcpConnect), b: the accepted end (TcpListener::Accept).
rt::os::TransportPair TcpLoopbackPair();

}  // namespace drpc::bench
