#include "bench/common/tcp_pair.h"

#include <memory>
#include <thread>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/os/tcp.h"

namespace drpc::bench {

rt::os::TransportPair TcpLoopbackPair() {
  auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
  DRPC_ASSERT(listener.ok(), listener.status().ToString());
  std::unique_ptr<rt::Transport> accepted;
  std::thread acceptor([&] {
    auto a = (*listener)->Accept();
    DRPC_ASSERT(a.ok(), a.status().ToString());
    accepted = std::move(*a);
  });
  auto dialed = rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
  DRPC_ASSERT(dialed.ok(), dialed.status().ToString());
  acceptor.join();
  return rt::os::TransportPair{std::move(*dialed), std::move(accepted)};
}

}  // namespace drpc::bench
