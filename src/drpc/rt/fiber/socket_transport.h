// rt::fiber::SocketTransport: an rt::Transport over a connected stream
// socket (TCP or AF_UNIX) on the fiber OS backend. The socket is made
// non-blocking and registered with the runtime's reactor: a Read or Write
// that would block parks its task, never its worker thread.
//
//   auto transport = std::make_unique<rt::fiber::SocketTransport>(fd, "127.0.0.1:4000");
//
// One Read and one Write (or TryWrite) may run at once in different tasks;
// Close and CloseWrite may be called from any task at any time and wake a
// parked Read or Write, which then fails with kClosed. Errors as
// rt::os::SocketTransport (docs/rt.md, "Transports").
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>

#include "drpc/rt/transport.h"

namespace drpc::rt::fiber {

class SocketTransport final : public Transport {
 public:
  // Takes ownership of `fd`, a connected stream socket (blocking or not).
  SocketTransport(int fd, std::string peer);
  ~SocketTransport() override;
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  ReadResult Read(MutableBytes buffer) override;
  Status Write(Bytes data) override;
  WriteResult TryWrite(Bytes data) override;
  // One writev (sendmsg) per attempt over all parts.
  Status WriteV(std::span<const Bytes> parts) override;
  WriteResult TryWriteV(std::span<const Bytes> parts) override;
  Status Close() override;
  Status CloseWrite() override;

  const std::string& peer() const { return peer_; }
  int native_handle() const { return fd_; }

 private:
  struct Reactor;  // the socket's registration with the reactor
  // Sends the front of `parts` from byte `skip` on, once (no blocking).
  // Returns bytes sent, or -1 with `err` set to errno.
  long SendOnce(std::span<const Bytes> parts, size_t skip, int& err);
  WriteResult Send(std::span<const Bytes> parts, bool blocking);
  Status ErrorFromErrno(const char* op, int err) const;

  const int fd_;
  const std::string peer_;
  std::unique_ptr<Reactor> reactor_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> write_closed_{false};
};

}  // namespace drpc::rt::fiber
