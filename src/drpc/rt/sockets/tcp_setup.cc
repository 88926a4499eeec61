#include "drpc/rt/internal/tcp_setup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <string>

#include "drpc/rt/internal/errno_text.h"

namespace drpc::rt::os::internal {

// "1.2.3.4:80" or "[::1]:80".
std::string FormatAddress(const sockaddr* addr) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  bool bracket = false;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    port = ntohs(in->sin_port);
  } else if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    port = ntohs(in6->sin6_port);
    bracket = true;
  } else {
    return "address family " + std::to_string(addr->sa_family);
  }
  // Appended piece by piece: g++ 12 -O3 warns (-Wrestrict, a known false
  // positive) on `"[" + std::string(host) + ...`.
  std::string out;
  if (bracket) out += '[';
  out += host;
  if (bracket) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

namespace {

Status SetNoDelay(int fd, const std::string& peer) {
  const int on = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0) {
    return ConnectionError("setsockopt TCP_NODELAY " + peer + ": " + ErrnoText(errno));
  }
  return OkStatus();
}

Status SetIntOption(int fd, int level, int name, int value, const char* what,
                    const std::string& peer) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    return ConnectionError(std::string("setsockopt ") + what + " " + peer + ": " +
                           ErrnoText(errno));
  }
  return OkStatus();
}

}  // namespace

Status SetConnectionOptions(int fd, const std::string& peer, const TcpOptions& options) {
  if (Status s = SetNoDelay(fd, peer); !s.ok()) return s;
  if (!options.keepalive) return OkStatus();
  const int idle = static_cast<int>(options.keepalive_idle.count());
  const int interval = static_cast<int>(options.keepalive_interval.count());
  const int user_timeout = static_cast<int>(options.user_timeout.count());
  if (Status s = SetIntOption(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE", peer); !s.ok()) {
    return s;
  }
  if (Status s = SetIntOption(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle, "TCP_KEEPIDLE", peer); !s.ok()) {
    return s;
  }
  if (Status s = SetIntOption(fd, IPPROTO_TCP, TCP_KEEPINTVL, interval, "TCP_KEEPINTVL", peer);
      !s.ok()) {
    return s;
  }
  if (Status s =
          SetIntOption(fd, IPPROTO_TCP, TCP_KEEPCNT, options.keepalive_count, "TCP_KEEPCNT", peer);
      !s.ok()) {
    return s;
  }
  if (user_timeout > 0) {
    return SetIntOption(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, user_timeout, "TCP_USER_TIMEOUT", peer);
  }
  return OkStatus();
}

}  // namespace drpc::rt::os::internal
