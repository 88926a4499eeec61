// AttackClient: a raw DRPC client over a real TCP socket to 127.0.0.1, for
// the loopback tests of issue 13. It writes frames exactly as a hostile or
// careless peer would (partial packets, bursts, slowloris bytes, non-DRPC
// bytes) and reads the server's frames back with bounded waits (poll), so a
// test observes what the server does on the wire: the answers, their error
// codes, and when it closes the connection.
//
//   AttackClient attacker = AttackClient::Connect(port);
//   Buffer calls;
//   for (uint64_t id = 1; id <= 1000; ++id) AppendUnaryCall(calls, id, "/loopback.Test/Echo",
//   "hi"); attacker.Write(calls.view(), 5s); attacker.ReadUntil(deadline, [&] { return
//   attacker.finished() == 1000; });
//
// Frames are encoded with src/drpc/wire (AppendFrame), so the bytes are the
// protocol's own (drpc-protocol.md §1.3, §1.10).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/wire/kind.h"

namespace drpc::loopback {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// What the server sent on one stream, as far as the client has read.
struct StreamReplies {
  uint64_t messages = 0;    // complete Message packets
  bool close_send = false;  // the server's CloseSend: the call ended ok
  bool error = false;       // an Error packet: the call failed
  uint64_t error_code = 0;  // its code (0: none)
  std::string error_text;
  bool close = false;  // a Close packet

  bool finished() const { return close_send || error || close; }
  bool ok() const { return close_send && !error; }
};

// Appends one packet as frames of at most `split` data bytes (the last one
// done unless `done` is false: a packet that never completes).
void AppendPacket(Buffer& out, uint64_t stream_id, uint64_t message_id, wire::Kind kind, Bytes data,
                  bool done = true, size_t split = 64 * 1024);
// A whole unary call as a client sends it: Invoke (message 1), Message (2),
// CloseSend (3).
void AppendUnaryCall(Buffer& out, uint64_t stream_id, std::string_view rpc,
                     std::string_view request);

class AttackClient {
 public:
  struct Options {
    // SO_RCVBUF before connecting (0: the kernel's default). A small one
    // makes a client that stops reading stall the server's writes quickly.
    int receive_buffer = 0;
  };
  // Connects to 127.0.0.1:`port`; fails the test (and returns a closed
  // client) if it cannot.
  static AttackClient Connect(uint16_t port, Options options);
  static AttackClient Connect(uint16_t port) { return Connect(port, Options{}); }
  // As Connect, but a failure is not a test failure: the client is then
  // not connected() and `error` (if given) says why.
  static AttackClient TryConnect(uint16_t port, Options options, std::string* error = nullptr);
  bool connected() const { return fd_ >= 0; }

  AttackClient() = default;  // not connected: writes fail, reads see nothing
  AttackClient(AttackClient&& other) noexcept;
  AttackClient& operator=(AttackClient&& other) noexcept;
  AttackClient(const AttackClient&) = delete;
  AttackClient& operator=(const AttackClient&) = delete;
  ~AttackClient();  // Close()

  enum class WriteOutcome {
    kWritten,  // every byte was taken by the kernel
    kStalled,  // the socket stayed full for `stall_timeout` (back-pressure)
    kClosed,   // the server closed or reset the connection
  };
  // Writes all of `data`, waiting at most `stall_timeout` for the socket to
  // take more each time it is full.
  WriteOutcome Write(Bytes data, milliseconds stall_timeout);
  WriteOutcome Write(std::string_view data, milliseconds stall_timeout) {
    return Write(AsBytes(data), stall_timeout);
  }

  // Reads and parses the server's frames until `done()` is true, the server
  // ends the connection, or `deadline` passes; returns done()'s last value.
  bool ReadUntil(Clock::time_point deadline, const std::function<bool()>& done);
  // Reads (and discards into the per-stream record) until the server ends
  // the connection (EOF or reset); true if it did by `deadline`.
  bool WaitServerClosed(Clock::time_point deadline);
  // True once a read saw EOF or a reset.
  bool server_closed() const { return server_closed_; }

  // Per stream id, what the server sent so far.
  const std::map<uint64_t, StreamReplies>& replies() const { return replies_; }
  size_t finished() const;  // streams with a terminal packet
  size_t ok() const;        // streams that ended with CloseSend and no error

  // Frees the read buffer (a read grows it to 256 KiB): for a test that
  // holds thousands of clients between reads. Unparsed bytes are dropped.
  void DropReadBuffer() { in_ = Buffer(); }

  // The local port (to find the server's end of this connection).
  uint16_t local_port() const;
  int fd() const { return fd_; }
  void Close();

 private:
  explicit AttackClient(int fd) : fd_(fd) {}
  // One read of what is there (waiting at most until `deadline`); false
  // when the server ended the connection or the deadline passed.
  bool ReadSome(Clock::time_point deadline);
  void ParseFrames();

  int fd_ = -1;
  bool server_closed_ = false;
  Buffer in_;
  std::map<uint64_t, StreamReplies> replies_;
};

}  // namespace drpc::loopback
