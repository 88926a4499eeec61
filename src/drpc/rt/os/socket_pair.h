// rt::os::SocketPair: an in-process connected pair of transports (AF_UNIX
// stream sockets), for OS-backend tests and benchmarks that want real kernel
// sockets without the network.
//
//   Result<rt::os::TransportPair> pair = rt::os::SocketPair();
//   pair->a->Write(AsBytes("hi"));  // pair->b reads it
//
// See docs/rt.md.
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
