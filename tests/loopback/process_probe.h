// What the loopback tests read about their own process from /proc: the
// server runs in-process, so its accepted sockets, descriptors and threads
// are the test's own.
#pragma once

#include <cstdint>
#include <optional>

namespace drpc::loopback {

// The descriptor of the in-process server's end of a TCP connection: the
// socket bound to `server_port` whose peer is `client_port` on loopback.
std::optional<int> FindServerSocket(uint16_t server_port, uint16_t client_port);

struct KeepaliveSettings {
  bool keepalive = false;        // SO_KEEPALIVE
  uint32_t user_timeout_ms = 0;  // TCP_USER_TIMEOUT (0: the kernel's default)
};
KeepaliveSettings ReadKeepalive(int fd);

// Open descriptors and threads of this process now.
int CountOpenFds();
// An RLIMIT_NOFILE soft limit that leaves this process exactly
// `free_slots` more descriptors: a new descriptor takes the lowest free
// number, which must be below the limit (open ones above it stay valid).
int DescriptorLimitLeaving(int free_slots);
int CountThreads();

}  // namespace drpc::loopback
