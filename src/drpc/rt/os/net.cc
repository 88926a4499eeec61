// rt::Listen and rt::Connect (net.h) on the OS backend: TCP.
#include "drpc/rt/net.h"

#include <memory>
#include <utility>

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
  (void)deadline;  // the kernel's connect timeout applies (net.h)
  Result<HostPort> parsed = ParseAddress(address);
  if (!parsed.ok()) return parsed.status();
  return os::TcpConnect(parsed->host, parsed->port);
}

}  // namespace drpc::rt
