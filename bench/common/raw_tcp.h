// A connected pair of blocking TCP sockets over loopback, with no drpc and
// no runtime underneath: the "raw blocking ping-pong" baseline of issue 14
// is the kernel's TCP path alone, the same whichever rt backend the
// benchmark binary links. A failure to set it up aborts the benchmark
// (DRPC_ASSERT): there is nothing to measure without it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace drpc::bench {

// Owns one socket descriptor; closing it ends the peer's reads with EOF.
class RawSocket {
 public:
  RawSocket() = default;
  explicit RawSocket(int fd) : fd_(fd) {}
  RawSocket(RawSocket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RawSocket& operator=(RawSocket&& other) noexcept;
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket() { Close(); }

  // Every byte of `data`; false on an error.
  bool WriteAll(const void* data, size_t size);
  // Exactly `size` bytes; false at EOF or on an error.
  bool ReadFull(void* data, size_t size);
  // What one read(2) returns (0 at EOF, -1 on an error).
  long ReadSome(void* data, size_t size);
  // Half-close: the peer's reads see EOF, this end can still read.
  void ShutdownWrite();
  void Close();

 private:
  int fd_ = -1;
};

struct RawPair {
  RawSocket client;  // the dialed end
  RawSocket server;  // the accepted end
};

// Both ends with TCP_NODELAY, as drpc's own sockets are.
RawPair RawTcpPair();

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0 and
// released), for listeners that take an address rather than report the
// port they were given (rt::Listen).
uint16_t FreeLoopbackPort();

}  // namespace drpc::bench
