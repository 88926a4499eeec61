// TCP for the OS backend: a dialer and a listener, both producing
// rt::Transports with TCP_NODELAY set (drpc writes whole frames and wants them
// on the wire at once).
//
//   auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
//   auto client = rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
//
// See docs/rt.md, "Transports".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "drpc/base/result.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/transport.h"

namespace drpc::rt::os {

// Connects to `host`:`port` (a numeric address or a name), trying each
// address the name resolves to. A refused or unreachable peer is a
// kConnection error naming the address.
Result<std::unique_ptr<Transport>> TcpConnect(const std::string& host, uint16_t port);

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
  static Result<std::unique_ptr<TcpListener>> Listen(const std::string& host, uint16_t port);
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
  TcpListener(int fd, uint16_t port, std::string address);

  const int fd_;
  const uint16_t port_;
  const std::string address_;
  std::atomic<bool> closed_{false};
};

}  // namespace drpc::rt::os
