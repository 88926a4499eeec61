#include "drpc/rt/os/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/internal/errno_text.h"
#include "drpc/rt/internal/tcp_setup.h"
#include "drpc/rt/os/socket_transport.h"

namespace drpc::rt::os {
namespace {

using internal::AddrInfoList;
using internal::ErrnoText;
using internal::FormatAddress;
using internal::SetConnectionOptions;
using internal::UniqueFd;

// Retry bounds for calls that a signal or a vanished peer can interrupt; no
// real program comes near them.
constexpr int kMaxInterruptsInARow = 1000;
constexpr int kMaxAbortedAcceptsInARow = 1000;
// getaddrinfo can return several addresses per name; we try a few.
constexpr int kMaxAddressesTried = 16;

// connect(2), finishing the handshake with poll if a signal interrupts it
// (the connection attempt carries on in the kernel; calling connect again
// would fail with EALREADY).
int ConnectErrno(int fd, const sockaddr* addr, socklen_t len) {
  if (::connect(fd, addr, len) == 0) return 0;
  if (errno != EINTR) return errno;
  for (int interrupts = 0; interrupts < kMaxInterruptsInARow; ++interrupts) {
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return errno;
    int err = 0;
    socklen_t err_len = sizeof(err);
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0) return errno;
    return err;
  }
  return EINTR;
}

Result<std::unique_ptr<Transport>> ConnectTo(const addrinfo& ai, const TcpOptions& options) {
  const std::string peer = FormatAddress(ai.ai_addr);
  UniqueFd fd(::socket(ai.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ConnectionError("dial tcp " + peer + ": socket: " + ErrnoText(errno));
  if (const int err = ConnectErrno(fd.get(), ai.ai_addr, ai.ai_addrlen); err != 0) {
    return ConnectionError("dial tcp " + peer + ": " + ErrnoText(err));
  }
  if (Status s = SetConnectionOptions(fd.get(), peer, options); !s.ok()) return s;
  return std::unique_ptr<Transport>(std::make_unique<SocketTransport>(fd.release(), peer));
}

}  // namespace

Result<std::unique_ptr<Transport>> TcpConnect(const std::string& host, uint16_t port,
                                              const TcpOptions& options) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &raw); rc != 0) {
    return ConnectionError("dial tcp " + host + ":" + service + ": " + ::gai_strerror(rc));
  }
  AddrInfoList list(raw);
  Status last = ConnectionError("dial tcp " + host + ":" + service + ": no addresses");
  int tried = 0;
  for (const addrinfo* ai = list.get(); ai != nullptr && tried < kMaxAddressesTried;
       ai = ai->ai_next, ++tried) {
    Result<std::unique_ptr<Transport>> conn = ConnectTo(*ai, options);
    if (conn.ok()) return conn;
    last = conn.status();
  }
  return last;
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
  AddrInfoList list(raw);
  const addrinfo& ai = *list;

  UniqueFd fd(::socket(ai.ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return ConnectionError("listen tcp " + where + ": socket: " + ErrnoText(errno));
  // Lets a restarted server bind its port while old connections linger in
  // TIME_WAIT.
  const int on = 1;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0) {
    return ConnectionError("listen tcp " + where + ": SO_REUSEADDR: " + ErrnoText(errno));
  }
  if (::bind(fd.get(), ai.ai_addr, ai.ai_addrlen) != 0) {
    return ConnectionError("listen tcp " + where + ": bind: " + ErrnoText(errno));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    return ConnectionError("listen tcp " + where + ": " + ErrnoText(errno));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) {
    return ConnectionError("listen tcp " + where + ": getsockname: " + ErrnoText(errno));
  }
  const sockaddr* bound_addr = reinterpret_cast<const sockaddr*>(&bound);
  const uint16_t bound_port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  DRPC_ASSERT(bound_port != 0, "a bound TCP socket has a port");
  DRPC_ASSERT(port == 0 || bound_port == port, "bound a different port than asked for");
  return std::unique_ptr<TcpListener>(
      new TcpListener(fd.release(), bound_port, FormatAddress(bound_addr), options));
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
    const int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&peer_addr), &peer_len, SOCK_CLOEXEC);
    if (fd >= 0) {
      const std::string peer = FormatAddress(reinterpret_cast<const sockaddr*>(&peer_addr));
      UniqueFd owned(fd);
      if (Status s = SetConnectionOptions(fd, peer, options_); !s.ok()) return s;
      return std::unique_ptr<Transport>(std::make_unique<SocketTransport>(owned.release(), peer));
    }
    const int err = errno;
    // Close shuts the socket down, which fails a blocked accept (EINVAL on
    // Linux): report that as the close it is.
    if (closed_.load()) return ClosedError("accept " + address_ + ": listener closed");
    if (err == EINTR && ++interrupts < kMaxInterruptsInARow) continue;
    // The peer gave up between SYN and accept; wait for the next one.
    if (err == ECONNABORTED && ++aborted < kMaxAbortedAcceptsInARow) continue;
    // Out of descriptors or memory: temporary, the caller may retry later
    // (rt::IsTemporaryAcceptError).
    if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
      return ResourceExhaustedError("accept " + address_ + ": " + ErrnoText(err));
    }
    return ConnectionError("accept " + address_ + ": " + ErrnoText(err));
  }
}

Status TcpListener::Close() {
  if (closed_.exchange(true)) return OkStatus();
  // shutdown wakes an accept blocked in another thread; the descriptor stays
  // open (and its number reserved) until the destructor.
  if (::shutdown(fd_, SHUT_RDWR) != 0 && errno != ENOTCONN) {
    return ConnectionError("close " + address_ + ": " + ErrnoText(errno));
  }
  return OkStatus();
}

}  // namespace drpc::rt::os
