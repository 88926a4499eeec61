// An in-process connected pair of transports (AF_UNIX stream sockets): what
// one writes the other reads. For tests and benchmarks of the OS backend that
// want real kernel sockets without the network.
#pragma once

#include <memory>

#include "drpc/base/result.h"
#include "drpc/rt/transport.h"

namespace drpc::rt::os {

struct TransportPair {
  std::unique_ptr<Transport> a;
  std::unique_ptr<Transport> b;
};

Result<TransportPair> SocketPair();

}  // namespace drpc::rt::os
