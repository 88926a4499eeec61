// rt::os::SocketTransport: an rt::Transport over a connected stream socket
// (TCP or AF_UNIX). OS backend only.
//
//   auto transport = std::make_unique<rt::os::SocketTransport>(fd, "127.0.0.1:4000");
//
// One Read and one Write (or TryWrite) may run at once in different threads;
// Close and CloseWrite may be called from any thread at any time and wake
// blocked calls. See docs/rt.md, "Transports".
#pragma once

#include <atomic>
#include <string>

#include "drpc/rt/transport.h"

namespace drpc::rt::os {

class SocketTransport final : public Transport {
 public:
  // Takes ownership of `fd`, a connected, blocking stream socket. `peer` names
  // the other end in error messages ("127.0.0.1:4000", "socketpair").
  SocketTransport(int fd, std::string peer);
  ~SocketTransport() override;
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;

  // At least one byte, or: kEof when the peer closed in order; kClosed after
  // a local Close or a reset (ECONNRESET, EPIPE); kConnection otherwise.
  ReadResult Read(MutableBytes buffer) override;
  // All of `data`, or the first error (same kinds as Read). Never raises
  // SIGPIPE.
  Status Write(Bytes data) override;
  // What the socket's send buffer takes now (send with MSG_DONTWAIT): a
  // full buffer is n < size with an ok status, not an error.
  WriteResult TryWrite(Bytes data) override;
  // The gathered forms: one sendmsg for all parts (a frame header and the
  // payload it precedes go out together, not joined first).
  Status WriteV(std::span<const Bytes> parts) override;
  WriteResult TryWriteV(std::span<const Bytes> parts) override;
  Status Close() override;
  // shutdown(SHUT_WR): the peer reads the rest, then EOF; reads go on.
  // Later writes fail with kClosed.
  Status CloseWrite() override;

  const std::string& peer() const { return peer_; }
  // The socket, for getsockopt in tests; still owned by the transport.
  int native_handle() const { return fd_; }

 private:
  // Write (blocking: until all is sent or an error) and TryWrite (what
  // fits now), plain and gathered, share this loop.
  WriteResult Send(std::span<const Bytes> parts, bool blocking);
  Status ErrorFromErrno(const char* op, int err) const;
  static size_t TotalSize(std::span<const Bytes> parts);

  const int fd_;
  const std::string peer_;
  std::atomic<bool> closed_{false};
  std::atomic<bool> write_closed_{false};
};

}  // namespace drpc::rt::os
