#include "bench/common/raw_tcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "drpc/base/check.h"

namespace drpc::bench {
namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

void NoDelay(int fd) {
  const int one = 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// A listening socket on 127.0.0.1:0 and the port it got.
int ListenAnyPort(uint16_t& port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  DRPC_ASSERT(fd >= 0, "socket: " + std::to_string(errno));
  sockaddr_in addr = Loopback(0);
  DRPC_ASSERT(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
              "bind: " + std::to_string(errno));
  DRPC_ASSERT(listen(fd, 16) == 0, "listen: " + std::to_string(errno));
  socklen_t len = sizeof addr;
  DRPC_ASSERT(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

RawSocket& RawSocket::operator=(RawSocket&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

bool RawSocket::WriteAll(const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd_, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool RawSocket::ReadFull(void* data, size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const long n = ReadSome(p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

long RawSocket::ReadSome(void* data, size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd_, data, size);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void RawSocket::ShutdownWrite() {
  if (fd_ >= 0) (void)::shutdown(fd_, SHUT_WR);
}

void RawSocket::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

RawPair RawTcpPair() {
  uint16_t port = 0;
  const int listener = ListenAnyPort(port);
  const int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  DRPC_ASSERT(client >= 0, "socket: " + std::to_string(errno));
  sockaddr_in addr = Loopback(port);
  // The backlog takes the connection before accept runs: no second thread.
  DRPC_ASSERT(connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
              "connect: " + std::to_string(errno));
  const int server = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  DRPC_ASSERT(server >= 0, "accept: " + std::to_string(errno));
  ::close(listener);
  NoDelay(client);
  NoDelay(server);
  return RawPair{RawSocket(client), RawSocket(server)};
}

uint16_t FreeLoopbackPort() {
  uint16_t port = 0;
  ::close(ListenAnyPort(port));
  return port;
}

}  // namespace drpc::bench
