// The client side the stalled-peer workloads share (stalled_peer.cc,
// stalled_close.cc): a pipe of a drawn capacity (256 B, 1 KiB or 4 KiB; one
// workload choice) and connection options whose writer mark (1 KiB) and
// frame size (256 B) let a few small messages fill the pipe and the writer.
#pragma once

#include <cstddef>

#include "drpc/rpc/conn.h"
#include "sim/net/pipe.h"

namespace drpc::sim::layers {

struct StalledClient {
  net::PipeEnds ends;  // a: the client's connection, b: the peer's
  size_t pipe_capacity = 0;
  rpc::ConnOptions options;
};

StalledClient MakeStalledClient();

}  // namespace drpc::sim::layers
