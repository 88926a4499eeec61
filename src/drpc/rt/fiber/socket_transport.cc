// Reads and writes try the socket first; only when it would block do they
// park, on an asio receive/send of the same bytes (asio retries the call
// under its descriptor lock before waiting, so readiness that arrives
// between our EAGAIN and the wait is never missed, which an edge-triggered
// readiness wait alone would risk). Close shuts the socket down, which makes
// it readable and writable at once: a parked Read or Write wakes, sees
// closed_, and fails with kClosed.
#include "drpc/rt/fiber/socket_transport.h"

#include <errno.h>  // E* constants
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/fiber/handler_slot.h"
#include "drpc/rt/fiber/last_errno.h"
#include "drpc/rt/fiber/park.h"
#include "drpc/rt/internal/errno_text.h"

namespace drpc::rt::fiber {
namespace {

constexpr int kMaxInterruptsInARow = 1000;
constexpr size_t kMaxIov = 64;  // parts gathered into one sendmsg
// Bytes offered to one sendmsg at most (the rest goes in the next call of
// the same Send). A writer with a deep queue offered all of it (about
// 1 MiB at the mark) and filled the socket's buffer in one call, which
// then parked it until a third was free again. Measured over loopback with
// the ends in two processes on 2 cores (bench_rpc_split, 5 alternated
// rounds, 3 runs): 64 KiB streams at 67-72k msg/s offering everything,
// 88-96k at 256-384 KiB, 60-70k at 128 KiB; the sender's CPU per message
// 11.5-12.4 us against 8.3-9.4. A constant of this machine's loopback, not
// of the protocol: docs/rt.md, "The fiber backend".
constexpr size_t kMaxBytesPerSend = 256 * 1024;

// Calls emit(data, size) for the parts of `parts` from byte `skip` on: at
// most kMaxIov of them (what one sendmsg takes) and `max_bytes` in all.
template <class Emit>
void GatherParts(std::span<const Bytes> parts, size_t skip, size_t max_bytes, Emit emit) {
  size_t count = 0;
  size_t offered = 0;
  for (Bytes part : parts) {
    if (count == kMaxIov || offered == max_bytes) break;
    if (skip >= part.size()) {
      skip -= part.size();
      continue;
    }
    const size_t n = std::min(part.size() - skip, max_bytes - offered);
    emit(part.data() + skip, n);
    offered += n;
    skip = 0;
    ++count;
  }
}

int SocketFamily(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return AF_UNIX;
  return addr.ss_family;
}

}  // namespace

struct SocketTransport::Reactor {
  explicit Reactor(int fd) : socket(Io()) {
    boost::system::error_code ec;
    socket.assign(boost::asio::generic::stream_protocol(SocketFamily(fd), SOCK_STREAM), fd, ec);
    DRPC_ASSERT(!ec, "registering a socket with the reactor failed: " + ec.message());
    socket.non_blocking(true, ec);
    DRPC_ASSERT(!ec, "making a socket non-blocking failed: " + ec.message());
  }
  // A parked Read's and a parked Write's asio operation (one of each at a
  // time): no allocation per park. Declared before the socket, so they
  // outlive it: an operation the socket's destruction cancels is freed
  // into them.
  HandlerSlot read_slot;
  HandlerSlot write_slot;
  boost::asio::generic::stream_protocol::socket socket;
};

SocketTransport::SocketTransport(int fd, std::string peer)
    : fd_(fd), peer_(std::move(peer)), reactor_(std::make_unique<Reactor>(fd)) {
  DRPC_ASSERT(fd_ >= 0, "SocketTransport needs an open socket");
}

// The reactor's socket owns the descriptor and closes it. No task may be
// inside Read or Write now (destroying a transport in use is its owner's
// bug).
SocketTransport::~SocketTransport() = default;

ReadResult SocketTransport::Read(MutableBytes buffer) {
  DRPC_ASSERT(!buffer.empty(), "Read needs room for at least one byte");
  for (int interrupts = 0;;) {
    if (closed_.load()) return {0, ClosedError(peer_ + ": read after Close")};
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
    int err = n < 0 ? LastErrno() : 0;
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
      boost::system::error_code ec;
      size_t got = 0;
      ParkLabeled("io.read", peer_.c_str(), [&](Waker waker) {
        reactor_->socket.async_receive(
            boost::asio::buffer(buffer.data(), buffer.size()),
            WithSlot(reactor_->read_slot,
                     [&ec, &got, waker](const boost::system::error_code& e, size_t bytes) {
                       ec = e;
                       got = bytes;
                       waker.WakeHere();
                     }));
      });
      if (!ec) {
        n = static_cast<ssize_t>(got);
        err = 0;
      } else if (ec == boost::asio::error::eof) {
        n = 0;
      } else {
        n = -1;
        err = ec.value();
      }
    }
    if (n > 0) {
      DRPC_ASSERT(static_cast<size_t>(n) <= buffer.size(), "recv overran the buffer");
      return {static_cast<size_t>(n), OkStatus()};
    }
    // Our own Close shuts the socket down, which makes recv return 0 or
    // fail; either way it is a local close, not the peer's doing.
    if (closed_.load()) return {0, ClosedError(peer_ + ": read interrupted by Close")};
    if (n == 0) return {0, EofError()};
    if (err == EINTR && ++interrupts < kMaxInterruptsInARow) continue;
    return {0, ErrorFromErrno("read", err)};
  }
}

long SocketTransport::SendOnce(std::span<const Bytes> parts, size_t skip, int& err) {
  iovec iov[kMaxIov];
  size_t count = 0;
  GatherParts(parts, skip, kMaxBytesPerSend, [&](const uint8_t* data, size_t n) {
    iov[count++] = iovec{const_cast<uint8_t*>(data), n};
  });
  if (count == 0) return 0;
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = count;
  const ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) err = LastErrno();
  return n;
}

WriteResult SocketTransport::Send(std::span<const Bytes> parts, bool blocking) {
  if (closed_.load()) return {0, ClosedError(peer_ + ": write after Close")};
  if (write_closed_.load()) return {0, ClosedError(peer_ + ": write after CloseWrite")};
  size_t total = 0;
  for (Bytes part : parts) total += part.size();
  size_t written = 0;
  int interrupts = 0;
  // Every round writes at least one byte, counts an interrupt or returns.
  while (written < total) {
    int err = 0;
    long n = SendOnce(parts, written, err);
    if (n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) {
      if (!blocking) break;  // full: the rest waits for the caller's next try
      if (closed_.load()) return {written, ClosedError(peer_ + ": write interrupted by Close")};
      // Park on an asio send of what is left (it sends when there is room):
      // at most kMaxIov parts, as one sendmsg takes, listed on this fiber's
      // stack (it outlives the send: no allocation per parked write).
      std::array<boost::asio::const_buffer, kMaxIov> rest;
      size_t rest_count = 0;
      GatherParts(parts, written, SIZE_MAX, [&](const uint8_t* data, size_t size) {
        rest[rest_count++] = boost::asio::const_buffer(data, size);
      });
      boost::system::error_code ec;
      size_t sent = 0;
      ParkLabeled("io.write", peer_.c_str(), [&](Waker waker) {
        reactor_->socket.async_send(
            std::span<const boost::asio::const_buffer>(rest.data(), rest_count),
            WithSlot(reactor_->write_slot,
                     [&ec, &sent, waker](const boost::system::error_code& e, size_t bytes) {
                       ec = e;
                       sent = bytes;
                       waker.WakeHere();
                     }));
      });
      if (!ec) {
        n = static_cast<long>(sent);
      } else {
        n = -1;
        err = ec.value();
      }
    }
    if (n > 0) {
      written += static_cast<size_t>(n);
      DRPC_ASSERT(written <= total, "send wrote more than it was given");
      interrupts = 0;
      continue;
    }
    if (closed_.load()) return {written, ClosedError(peer_ + ": write interrupted by Close")};
    if (n < 0 && err == EINTR && ++interrupts < kMaxInterruptsInARow) continue;
    if (n == 0) return {written, ConnectionError("write " + peer_ + ": no progress")};
    return {written, ErrorFromErrno("write", err)};
  }
  return {written, OkStatus()};
}

Status SocketTransport::Write(Bytes data) { return WriteV(std::span<const Bytes>(&data, 1)); }

WriteResult SocketTransport::TryWrite(Bytes data) {
  return TryWriteV(std::span<const Bytes>(&data, 1));
}

Status SocketTransport::WriteV(std::span<const Bytes> parts) {
  WriteResult r = Send(parts, /*blocking=*/true);
  return std::move(r.err);
}

WriteResult SocketTransport::TryWriteV(std::span<const Bytes> parts) {
  return Send(parts, /*blocking=*/false);
}

Status SocketTransport::CloseWrite() {
  if (closed_.load() || write_closed_.exchange(true)) return OkStatus();
  if (::shutdown(fd_, SHUT_WR) != 0 && LastErrno() != ENOTCONN) {
    return ErrorFromErrno("close write side", LastErrno());
  }
  return OkStatus();
}

Status SocketTransport::Close() {
  if (closed_.exchange(true)) return OkStatus();
  // shutdown, not close: the descriptor stays ours (and registered) until
  // the destructor, and a parked Read or Write wakes as the socket turns
  // readable and writable (hung up).
  if (::shutdown(fd_, SHUT_RDWR) != 0 && LastErrno() != ENOTCONN) {
    return ErrorFromErrno("close", LastErrno());
  }
  return OkStatus();
}

Status SocketTransport::ErrorFromErrno(const char* op, int err) const {
  std::string message = std::string(op) + " " + peer_ + ": " + os::internal::ErrnoText(err);
  // A reset, or writing to a connection the peer has torn down: the
  // connection is closed, as ClosedError means in drpc.
  if (err == ECONNRESET || err == EPIPE) return ClosedError(std::move(message));
  return ConnectionError(std::move(message));
}

}  // namespace drpc::rt::fiber
