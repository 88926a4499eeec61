// rt::os::TcpConnect and rt::os::TcpListener (os/tcp.h) on the fiber
// backend: non-blocking sockets; a connect in progress and an accept with
// nothing queued park the task (fd_wait.h). Connections are
// fiber::SocketTransports.
#include "drpc/rt/os/tcp.h"

#include <arpa/inet.h>
#include <errno.h>  // E* constants
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/blocking.h"
#include "drpc/rt/fiber/fd_wait.h"
#include "drpc/rt/fiber/last_errno.h"
#include "drpc/rt/fiber/socket_transport.h"
#include "drpc/rt/fiber/tcp_connect.h"
#include "drpc/rt/internal/errno_text.h"
#include "drpc/rt/internal/tcp_setup.h"

namespace drpc::rt {
namespace fiber {

constexpr int kMaxInterruptsInARow = 1000;
constexpr int kMaxAbortedAcceptsInARow = 1000;

namespace {

using os::internal::AddrInfoList;
using os::internal::ErrnoText;
using os::internal::FormatAddress;
using os::internal::SetConnectionOptions;
using os::internal::UniqueFd;

constexpr int kMaxAddressesTried = 16;

Result<std::unique_ptr<Transport>> ConnectTo(const addrinfo& ai, const os::TcpOptions& options,
                                             TimePoint deadline) {
  const std::string peer = FormatAddress(ai.ai_addr);
  UniqueFd fd(::socket(ai.ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0)
    return ConnectionError("dial tcp " + peer + ": socket: " + ErrnoText(fiber::LastErrno()));
  int err = 0;
  if (::connect(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) err = fiber::LastErrno();
  if (err == EINPROGRESS || err == EINTR) {
    if (!WaitFd(fd.get(), POLLOUT, deadline, "io.connect")) {
      return DeadlineExceededError("dial tcp " + peer +
                                   ": connect did not complete by the deadline");
    }
    socklen_t len = sizeof(err);
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = fiber::LastErrno();
    // Still in progress after a wake that was not for us: wait on.
    while (err == 0) {
      pollfd p{fd.get(), POLLOUT, 0};
      if (::poll(&p, 1, 0) > 0) break;
      if (!WaitFd(fd.get(), POLLOUT, deadline, "io.connect")) {
        return DeadlineExceededError("dial tcp " + peer +
                                     ": connect did not complete by the deadline");
      }
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = fiber::LastErrno();
    }
  }
  if (err != 0) return ConnectionError("dial tcp " + peer + ": " + ErrnoText(err));
  if (Status s = SetConnectionOptions(fd.get(), peer, options); !s.ok()) return s;
  return std::unique_ptr<Transport>(std::make_unique<SocketTransport>(fd.release(), peer));
}

}  // namespace

Result<std::unique_ptr<Transport>> TcpConnectUntil(const std::string& host, uint16_t port,
                                                   const os::TcpOptions& options,
                                                   TimePoint deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  // getaddrinfo may block on DNS: off the workers when it is not numeric.
  int rc = 0;
  {
    addrinfo numeric_hints = hints;
    numeric_hints.ai_flags |= AI_NUMERICHOST;
    rc = ::getaddrinfo(host.c_str(), service.c_str(), &numeric_hints, &raw);
    if (rc == EAI_NONAME) {
      RunBlocking("dns.resolve",
                  [&] { rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &raw); });
    }
  }
  if (rc != 0) {
    return ConnectionError("dial tcp " + host + ":" + service + ": " + ::gai_strerror(rc));
  }
  AddrInfoList list(raw);
  Status last = ConnectionError("dial tcp " + host + ":" + service + ": no addresses");
  int tried = 0;
  for (const addrinfo* ai = list.get(); ai != nullptr && tried < kMaxAddressesTried;
       ai = ai->ai_next, ++tried) {
    Result<std::unique_ptr<Transport>> conn = ConnectTo(*ai, options, deadline);
    if (conn.ok()) return conn;
    last = conn.status();
    if (last.is(ErrorKind::kDeadlineExceeded)) return last;
  }
  return last;
}

}  // namespace fiber

namespace os {

Result<std::unique_ptr<Transport>> TcpConnect(const std::string& host, uint16_t port,
                                              const TcpOptions& options) {
  return fiber::TcpConnectUntil(host, port, options, kNoDeadline);
}

Result<std::unique_ptr<TcpListener>> TcpListener::Listen(const std::string& host, uint16_t port,
                                                         const TcpOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string where = host + ":" + std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &raw);
      rc != 0) {
    return InvalidArgumentError("listen tcp " + where + ": " + ::gai_strerror(rc));
  }
  internal::AddrInfoList list(raw);
  const addrinfo& ai = *list;
  internal::UniqueFd fd(::socket(ai.ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    return ConnectionError("listen tcp " + where +
                           ": socket: " + internal::ErrnoText(fiber::LastErrno()));
  }
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return ConnectionError("listen tcp " + where +
                           ": SO_REUSEADDR: " + internal::ErrnoText(fiber::LastErrno()));
  }
  if (::bind(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) {
    return ConnectionError("listen tcp " + where +
                           ": bind: " + internal::ErrnoText(fiber::LastErrno()));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    return ConnectionError("listen tcp " + where + ": " + internal::ErrnoText(fiber::LastErrno()));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return ConnectionError("listen tcp " + where +
                           ": getsockname: " + internal::ErrnoText(fiber::LastErrno()));
  }
  const sockaddr* bound_addr = reinterpret_cast<const sockaddr*>(&bound);
  const uint16_t bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  DRPC_ASSERT(bound_port != 0, "a bound TCP socket has a port");
  DRPC_ASSERT(port == 0 || bound_port == port, "bound a different port than asked for");
  return std::unique_ptr<TcpListener>(
      new TcpListener(fd.release(), bound_port, internal::FormatAddress(bound_addr), options));
}

TcpListener::TcpListener(int fd, uint16_t port, std::string address, TcpOptions options)
    : fd_(fd), options_(options), port_(port), address_(std::move(address)) {
  DRPC_ASSERT(fd_ >= 0, "TcpListener needs an open socket");
}

TcpListener::~TcpListener() { ::close(fd_); }

Result<std::unique_ptr<Transport>> TcpListener::Accept() {
  int interrupts = 0;
  int aborted = 0;
  for (;;) {
    if (closed_.load()) return ClosedError("accept " + address_ + ": listener closed");
    sockaddr_storage peer_addr{};
    socklen_t peer_len = sizeof(peer_addr);
    const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer_addr), &peer_len,
                             SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
      const std::string peer =
          internal::FormatAddress(reinterpret_cast<const sockaddr*>(&peer_addr));
      internal::UniqueFd owned(fd);
      if (Status s = internal::SetConnectionOptions(fd, peer, options_); !s.ok()) return s;
      return std::unique_ptr<Transport>(
          std::make_unique<fiber::SocketTransport>(owned.release(), peer));
    }
    const int err = fiber::LastErrno();
    // Close shuts the socket down, which fails accept (EINVAL on Linux).
    if (closed_.load()) return ClosedError("accept " + address_ + ": listener closed");
    if (err == EAGAIN || err == EWOULDBLOCK) {
      (void)fiber::WaitFd(fd_, POLLIN, kNoDeadline, "io.accept");
      continue;
    }
    if (err == EINTR && ++interrupts < fiber::kMaxInterruptsInARow) continue;
    if (err == ECONNABORTED && ++aborted < fiber::kMaxAbortedAcceptsInARow) continue;
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      return ResourceExhaustedError("accept " + address_ + ": " + internal::ErrnoText(err));
    }
    return ConnectionError("accept " + address_ + ": " + internal::ErrnoText(err));
  }
}

Status TcpListener::Close() {
  if (closed_.exchange(true)) return OkStatus();
  // shutdown wakes an accept parked on the socket (it hangs up); the
  // descriptor stays open until the destructor.
  if (::shutdown(fd_, SHUT_RDWR) != 0 && fiber::LastErrno() != ENOTCONN) {
    return ConnectionError("close " + address_ + ": " + internal::ErrnoText(fiber::LastErrno()));
  }
  return OkStatus();
}

}  // namespace os
}  // namespace drpc::rt
