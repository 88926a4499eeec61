// rt::os::SocketPair (os/socket_pair.h) on the fiber backend.
#include "drpc/rt/os/socket_pair.h"

#include <errno.h>
#include <sys/socket.h>

#include <memory>

#include "drpc/rt/fiber/socket_transport.h"
#include "drpc/rt/internal/errno_text.h"

namespace drpc::rt::os {

Result<TransportPair> SocketPair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0) {
    return ConnectionError("socketpair: " + internal::ErrnoText(errno));
  }
  return TransportPair{std::make_unique<fiber::SocketTransport>(fds[0], "socketpair[0]"),
                       std::make_unique<fiber::SocketTransport>(fds[1], "socketpair[1]")};
}

}  // namespace drpc::rt::os
