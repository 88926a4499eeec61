// Socket setup shared by both OS backends' TCP code (os/tcp.cc on threads,
// fiber/tcp.cc on fibers): descriptor ownership, address text and the
// connection options every TCP connection gets (TcpOptions).
#pragma once

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <utility>

#include "drpc/base/status.h"
#include "drpc/rt/os/tcp.h"

namespace drpc::rt::os::internal {

// Owns a descriptor on the error paths of setup code.
class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Frees a getaddrinfo list.
struct AddrInfoFree {
  void operator()(addrinfo* list) const { ::freeaddrinfo(list); }
};
using AddrInfoList = std::unique_ptr<addrinfo, AddrInfoFree>;

// "1.2.3.4:80" or "[::1]:80".
std::string FormatAddress(const sockaddr* addr);

// TCP_NODELAY, and keepalive as `options` say (TcpOptions).
Status SetConnectionOptions(int fd, const std::string& peer, const TcpOptions& options);

}  // namespace drpc::rt::os::internal
