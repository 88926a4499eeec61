// rt::Transport: a reliable, ordered byte stream (TCP, a socketpair, or the
// simulator's in-memory pipe). Errors are values: EOF (the peer closed in
// order) is kEof, a reset or a local close is kClosed, anything else
// kConnection.
//
//   ReadResult r = transport.Read(buffer);
//   Use(buffer.first(r.n));  // bytes come before the error
//   if (!r.err.ok()) return r.err;
//
// See docs/rt.md, "Transports".
#pragma once

#include <cstddef>
#include <span>

#include "drpc/base/bytes.h"
#include "drpc/base/read_result.h"
#include "drpc/base/status.h"

namespace drpc::rt {

struct WriteResult {
  size_t n = 0;  // bytes of the front of the data the transport took
  Status err;    // if not ok: why it took no more (the rest was not written)
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Blocks until at least one byte is available or the stream ends. May
  // return bytes and an error together; the bytes come first (§1.8).
  // `buffer` must not be empty.
  virtual ReadResult Read(MutableBytes buffer) = 0;
  // Writes all of `data` or fails.
  virtual Status Write(Bytes data) = 0;
  // Writes as much of the front of `data` as the transport takes without
  // blocking (0 to all of it) and returns that count; an error says the
  // transport cannot take more now or later (it does not promise that a
  // Write would fail too). The connection's writer uses it to write from
  // the sending task when the transport has room, and leaves the rest to
  // its writer task (manager/mux_writer.h). Never called concurrently with
  // Write or another TryWrite. The default takes nothing: a transport
  // without a non-blocking path is always written by Write.
  virtual WriteResult TryWrite(Bytes data) {
    (void)data;
    return {};
  }
  // Gathered forms of Write and TryWrite: `parts` are written in order as
  // one run of bytes (a frame header and its payload without joining them
  // first). The defaults go part by part; socket transports override them
  // with one writev. TryWriteV's n counts bytes across all parts.
  virtual Status WriteV(std::span<const Bytes> parts) {
    for (Bytes part : parts) {
      if (Status err = Write(part); !err.ok()) return err;
    }
    return OkStatus();
  }
  virtual WriteResult TryWriteV(std::span<const Bytes> parts) {
    WriteResult total;
    for (Bytes part : parts) {
      WriteResult r = TryWrite(part);
      total.n += r.n;
      if (!r.err.ok() || r.n < part.size()) {
        total.err = r.err;
        break;
      }
    }
    return total;
  }
  // Idempotent. Unblocks a pending Read or Write, which then fail.
  virtual Status Close() = 0;
  // Half-close: this end will write no more (the peer reads what was sent,
  // then EOF) but may still read (TCP's shutdown(SHUT_WR)). Writes after it
  // fail. Close still has to be called. The default closes both ways.
  virtual Status CloseWrite() { return Close(); }
};

}  // namespace drpc::rt
