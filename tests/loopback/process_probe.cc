#include "tests/loopback/process_probe.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace drpc::loopback {
namespace {

// Entries of a /proc directory, without "." and "..", as numbers.
template <class Fn>
void ForEachNumericEntry(const char* dir, Fn fn) {
  DIR* d = opendir(dir);
  if (d == nullptr) return;
  const int own = dirfd(d);  // listing /proc/self/fd shows this one too
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    const int n = std::atoi(entry->d_name);
    if (n != own || std::string_view(dir) != "/proc/self/fd") fn(n);
  }
  closedir(d);
}

uint16_t PortOf(const sockaddr_storage& addr) {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  if (addr.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  }
  return 0;
}

}  // namespace

std::optional<int> FindServerSocket(uint16_t server_port, uint16_t client_port) {
  std::optional<int> found;
  ForEachNumericEntry("/proc/self/fd", [&](int fd) {
    struct stat st {};
    if (found || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return;
    sockaddr_storage local{}, peer{};
    socklen_t local_len = sizeof local, peer_len = sizeof peer;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0) return;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) return;
    if (PortOf(local) == server_port && PortOf(peer) == client_port) found = fd;
  });
  return found;
}

KeepaliveSettings ReadKeepalive(int fd) {
  KeepaliveSettings out;
  int keepalive = 0;
  socklen_t len = sizeof keepalive;
  if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &len) == 0) out.keepalive = keepalive;
  unsigned int user_timeout = 0;
  len = sizeof user_timeout;
  if (getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, &len) == 0) {
    out.user_timeout_ms = user_timeout;
  }
  return out;
}

int CountOpenFds() {
  int n = 0;
  ForEachNumericEntry("/proc/self/fd", [&](int) { ++n; });
  return n;
}

int DescriptorLimitLeaving(int free_slots) {
  std::vector<int> open;
  ForEachNumericEntry("/proc/self/fd", [&](int fd) { open.push_back(fd); });
  std::sort(open.begin(), open.end());
  // Just below the (free_slots + 1)th free number.
  int free_seen = 0;
  size_t next_open = 0;
  for (int n = 0;; ++n) {
    while (next_open < open.size() && open[next_open] < n) ++next_open;
    const bool taken = next_open < open.size() && open[next_open] == n;
    if (taken) continue;
    if (free_seen == free_slots) return n;
    ++free_seen;
  }
}

int CountThreads() {
  int n = 0;
  ForEachNumericEntry("/proc/self/task", [&](int) { ++n; });
  return n;
}

}  // namespace drpc::loopback
