// rt::Listen and rt::Connect (net.h) on the fiber backend: TCP, with the
// connect deadline honoured.
#include "drpc/rt/net.h"

#include <memory>
#include <utility>

#include "drpc/rt/fiber/tcp_connect.h"
#include "drpc/rt/os/tcp.h"

namespace drpc::rt {

Result<std::unique_ptr<Listener>> Listen(std::string_view address) {
  Result<HostPort> parsed = ParseAddress(address);
  if (!parsed.ok()) return parsed.status();
  Result<std::unique_ptr<os::TcpListener>> listener =
      os::TcpListener::Listen(parsed->host, parsed->port);
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<Listener>(std::move(*listener));
}

Result<std::unique_ptr<Transport>> Connect(std::string_view address, TimePoint deadline) {
  Result<HostPort> parsed = ParseAddress(address);
  if (!parsed.ok()) return parsed.status();
  return fiber::TcpConnectUntil(parsed->host, parsed->port, os::TcpOptions{}, deadline);
}

}  // namespace drpc::rt
