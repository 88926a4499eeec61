// TCP for the OS backend: a dialer and a listener, both producing
// rt::Transports with TCP_NODELAY set (drpc writes whole frames and wants them
// on the wire at once) and TCP keepalive on (TcpOptions), so a peer that
// vanished without a FIN or RST (a crashed host, a cut link) is found out.
//
//   auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
//   auto client = rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
//
// See docs/rt.md, "Transports".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "drpc/base/result.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/transport.h"

namespace drpc::rt::os {

// Socket options of every connection TcpConnect and TcpListener make.
// Defaults: a silent peer is probed after 30 s, every 10 s, and given up
// after 3 unanswered probes; data unacknowledged for 60 s ends the
// connection too (TCP_USER_TIMEOUT, which on Linux also bounds the probing).
// Either way a vanished peer is found out in about a minute: reads and
// writes then fail (kConnection "Connection timed out"). For comparison:
// Linux's own defaults are 7200 s, 75 s and 9 probes (over two hours);
// gRPC pings every 2 h on servers (keepalive time; off on clients) and
// gives a ping 20 s (keepalive timeout), and grpc-core sets
// TCP_USER_TIMEOUT to that 20 s when keepalive is on.
struct TcpOptions {
  bool keepalive = true;  // SO_KEEPALIVE; false leaves the kernel's defaults alone
  std::chrono::seconds keepalive_idle{30};      // TCP_KEEPIDLE
  std::chrono::seconds keepalive_interval{10};  // TCP_KEEPINTVL
  int keepalive_count = 3;                      // TCP_KEEPCNT
  // TCP_USER_TIMEOUT; 0: the kernel's (retransmissions, about 15 minutes).
  std::chrono::milliseconds user_timeout{60'000};
};

// Connects to `host`:`port` (a numeric address or a name), trying each
// address the name resolves to. A refused or unreachable peer is a
// kConnection error naming the address.
Result<std::unique_ptr<Transport>> TcpConnect(const std::string& host, uint16_t port,
                                              const TcpOptions& options = {});

// A listening TCP socket: an rt::Listener. Accept reports running out of
// descriptors, buffers or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) as
// kResourceExhausted, which a server retries after a pause.
//
// Thread safety: Accept may block in one thread while Close is called from
// another; Close wakes it and it returns kClosed, as does every later Accept.
// The descriptor is released by the destructor only.
class TcpListener final : public Listener {
 public:
  // Binds `host` (a numeric address: "127.0.0.1", "::1", "0.0.0.0") and
  // `port`; port 0 picks a free ephemeral port, which Port() reports.
  // `options` apply to every accepted connection.
  static Result<std::unique_ptr<TcpListener>> Listen(const std::string& host, uint16_t port,
                                                     const TcpOptions& options = {});
  ~TcpListener() override;
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  // Blocks until a peer connects, then returns its connection.
  Result<std::unique_ptr<Transport>> Accept() override;
  // Idempotent; unblocks a pending Accept.
  Status Close() override;

  uint16_t Port() const { return port_; }
  // "host:port" as bound, for logs.
  const std::string& address() const { return address_; }

 private:
  TcpListener(int fd, uint16_t port, std::string address, TcpOptions options);

  const int fd_;
  const TcpOptions options_;
  const uint16_t port_;
  const std::string address_;
  std::atomic<bool> closed_{false};
};

}  // namespace drpc::rt::os
