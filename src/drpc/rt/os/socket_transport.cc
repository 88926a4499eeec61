#include "drpc/rt/os/socket_transport.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/internal/errno_text.h"
#include "drpc/rt/os/waits.h"

namespace drpc::rt::os {
namespace {

// A blocking call interrupted this many times in a row by signals gives up
// rather than spin forever; no real program comes near it.
constexpr int kMaxInterruptsInARow = 1000;
// Parts given to one sendmsg (well under IOV_MAX); more go in later rounds.
constexpr size_t kMaxPartsPerSend = 64;

}  // namespace

SocketTransport::SocketTransport(int fd, std::string peer) : fd_(fd), peer_(std::move(peer)) {
  DRPC_ASSERT(fd_ >= 0, "SocketTransport needs an open socket");
}

SocketTransport::~SocketTransport() {
  // No other thread may be inside Read or Write now (destroying a transport
  // in use is the owner's bug), so the number can safely be released.
  ::close(fd_);
}

ReadResult SocketTransport::Read(MutableBytes buffer) {
  DRPC_ASSERT(!buffer.empty(), "Read needs room for at least one byte");
  if (closed_.load()) return {0, ClosedError(peer_ + ": read after Close")};
  rt::internal::WaitScope waiting("io.read", peer_.c_str());  // for rt::WaitingTasks
  for (int interrupts = 0;;) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      DRPC_ASSERT(static_cast<size_t>(n) <= buffer.size(), "recv overran the buffer");
      return {static_cast<size_t>(n), OkStatus()};
    }
    const int err = errno;
    // Our own Close shuts the socket down, which makes a blocked recv return
    // 0 or fail; either way it is a local close, not the peer's doing.
    if (closed_.load()) return {0, ClosedError(peer_ + ": read interrupted by Close")};
    if (n == 0) return {0, EofError()};
    if (err == EINTR && ++interrupts < kMaxInterruptsInARow) continue;
    return {0, ErrorFromErrno("read", err)};
  }
}

Status SocketTransport::Write(Bytes data) { return WriteV(std::span<const Bytes>(&data, 1)); }

WriteResult SocketTransport::TryWrite(Bytes data) {
  return Send(std::span<const Bytes>(&data, 1), /*blocking=*/false);
}

Status SocketTransport::WriteV(std::span<const Bytes> parts) {
  rt::internal::WaitScope waiting("io.write", peer_.c_str());  // for rt::WaitingTasks
  WriteResult r = Send(parts, /*blocking=*/true);
  DRPC_ASSERT(!r.err.ok() || r.n == TotalSize(parts),
              "a blocking write ends with all bytes or an error");
  return std::move(r.err);
}

WriteResult SocketTransport::TryWriteV(std::span<const Bytes> parts) {
  return Send(parts, /*blocking=*/false);
}

WriteResult SocketTransport::Send(std::span<const Bytes> parts, bool blocking) {
  if (closed_.load()) return {0, ClosedError(peer_ + ": write after Close")};
  if (write_closed_.load()) return {0, ClosedError(peer_ + ": write after CloseWrite")};
  const int flags = MSG_NOSIGNAL | (blocking ? 0 : MSG_DONTWAIT);
  const size_t total = TotalSize(parts);
  size_t written = 0;
  size_t part = 0;        // the first part not wholly written
  size_t part_start = 0;  // bytes of parts[part] already written
  int interrupts = 0;
  std::array<iovec, kMaxPartsPerSend> iov;
  // Every round writes at least one byte, counts an interrupt (at most
  // kMaxInterruptsInARow between two writes) or returns, which bounds it.
  while (written < total) {
    size_t count = 0;
    for (size_t p = part, skip = part_start; p < parts.size() && count < iov.size();
         ++p, skip = 0) {
      if (parts[p].size() == skip) continue;
      iov[count++] = iovec{const_cast<uint8_t*>(parts[p].data()) + skip, parts[p].size() - skip};
    }
    msghdr message{};
    message.msg_iov = iov.data();
    message.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd_, &message, flags);
    if (n > 0) {
      written += static_cast<size_t>(n);
      DRPC_ASSERT(written <= total, "sendmsg wrote more than it was given");
      // Step past what went out: whole parts, then into the next one.
      for (size_t sent = static_cast<size_t>(n); sent > 0;) {
        const size_t left = parts[part].size() - part_start;
        if (sent < left) {
          part_start += sent;
          break;
        }
        sent -= left;
        ++part;
        part_start = 0;
      }
      interrupts = 0;
      continue;
    }
    const int err = errno;
    // Non-blocking and full: the rest waits for the caller's next try.
    if (!blocking && n < 0 && (err == EAGAIN || err == EWOULDBLOCK)) break;
    if (closed_.load()) return {written, ClosedError(peer_ + ": write interrupted by Close")};
    if (n < 0 && err == EINTR && ++interrupts < kMaxInterruptsInARow) continue;
    if (n == 0) return {written, ConnectionError("write " + peer_ + ": no progress")};
    return {written, ErrorFromErrno("write", err)};
  }
  return {written, OkStatus()};
}

size_t SocketTransport::TotalSize(std::span<const Bytes> parts) {
  size_t total = 0;
  for (Bytes part : parts) total += part.size();
  return total;
}

Status SocketTransport::CloseWrite() {
  if (closed_.load() || write_closed_.exchange(true)) return OkStatus();
  if (::shutdown(fd_, SHUT_WR) != 0 && errno != ENOTCONN) {
    return ErrorFromErrno("close write side", errno);
  }
  return OkStatus();
}

Status SocketTransport::Close() {
  if (closed_.exchange(true)) return OkStatus();
  // shutdown, not close: it wakes a Read or Write blocked in another thread
  // while the descriptor stays ours until the destructor. ENOTCONN means the
  // connection is already gone (e.g. reset), which is what Close wants.
  if (::shutdown(fd_, SHUT_RDWR) != 0 && errno != ENOTCONN) {
    return ErrorFromErrno("close", errno);
  }
  return OkStatus();
}

Status SocketTransport::ErrorFromErrno(const char* op, int err) const {
  std::string message = std::string(op) + " " + peer_ + ": " + internal::ErrnoText(err);
  // A reset, or writing to a connection the peer has torn down: the
  // connection is closed, as ClosedError means in drpc.
  if (err == ECONNRESET || err == EPIPE) return ClosedError(std::move(message));
  return ConnectionError(std::move(message));
}

}  // namespace drpc::rt::os
