// FrameSink: where a stream's outgoing frames go. The connection's MuxWriter
// (src/drpc/manager) implements it; stream tests use a fake. Defined here,
// below the manager, so a stream never depends on the manager.
#pragma once

#include <cstdint>
#include <span>

#include "drpc/base/buffer.h"
#include "drpc/base/status.h"
#include "drpc/rt/signal.h"
#include "drpc/wire/frame.h"

namespace drpc::stream {

class FrameSink {
 public:
  virtual ~FrameSink() = default;

  // Queues one whole frame (it is encoded before this returns, so `frame`
  // and its data may be reused at once). Frames of one caller reach the
  // transport in call order and are never torn or interleaved mid-frame.
  //
  // Back-pressure: a frame without the control bit may wait while the
  // writer holds more than its high-water mark; it stops waiting and returns
  // cancel->err() if `cancel` is set first (nullptr: no cancel). A control
  // frame is queued at once whatever the backlog. Once the writer has
  // stopped, returns the error it stopped with.
  virtual Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) = 0;

  // As WriteFrame, for a frame that is part of a burst (a streaming
  // sender's next message, with nothing from the peer since its last one):
  // a sink with a background writer leaves it to that writer instead of
  // writing it on the caller's time, so back-to-back messages share one
  // transport write. The default is WriteFrame.
  virtual Status QueueFrame(const wire::Frame& frame, rt::Signal* cancel) {
    return WriteFrame(frame, cancel);
  }

  // Queues `frames` in order as one submission. A sink that can (the
  // MuxWriter) makes it atomic: all or none of them are queued, and they
  // are contiguous on the wire (no other caller's frame between them), so
  // a unary request (Invoke, Message, CloseSend) costs one hand-off and one
  // transport write. Back-pressure applies to the batch as a whole, as to a
  // data frame, if any frame lacks the control bit; `cancel` then releases
  // it with nothing queued. The default writes the frames one by one with
  // WriteFrame (in order, stopping at the first error, possibly interleaved
  // with other callers' frames), which a sink used by one task (a test
  // fake) may keep.
  virtual Status WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) {
    for (const wire::Frame& frame : frames) {
      if (Status written = WriteFrame(frame, cancel); !written.ok()) return written;
    }
    return OkStatus();
  }

  // What WriteFramesTaking may do with `payload`.
  enum class Handover : uint8_t {
    // Take it if frames[taken]'s data are large, else copy them.
    kIfLarge,
    // Neither: write frames[taken]'s data from `payload`, which stays the
    // caller's, unchanged, until the sink no longer reads it (see Lending).
    kLend,
  };

  // As WriteFrames (or QueueFrame, for one frame, when `burst`), for frames
  // of which frames[taken] has its data inside `payload` (the caller's
  // marshal buffer). kIfLarge: the sink may TAKE that buffer instead of
  // copying the data (the MuxWriter does for large payloads and writes them
  // from it); it then comes back holding another buffer (empty, with any
  // capacity: recycled memory for the caller's next message), else as it
  // was; either way the caller may reuse it at once. kLend: the sink may
  // read the data from `payload` after this returns. The default copies,
  // whatever the handover, as WriteFrames does.
  virtual Status WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken,
                                   Buffer& payload, rt::Signal* cancel, bool burst,
                                   Handover handover) {
    (void)taken;
    (void)payload;
    (void)handover;
    if (burst && frames.size() == 1) return QueueFrame(frames.front(), cancel);
    return WriteFrames(frames, cancel);
  }

  // Lending. After frames lent from a buffer (kLend), LendingTicket names
  // them and all before them: the buffer may be changed or freed once
  // WaitWritten(ticket) returns true. Ticket 0 means nothing is lent (a
  // sink that copies).
  virtual uint64_t LendingTicket() { return 0; }
  // Waits until every frame up to `ticket` is written (true), or until
  // `cancel` is set or they never will be, after an abortive stop (false:
  // the buffer goes to ReleaseLent).
  virtual bool WaitWritten(uint64_t ticket, rt::Signal* cancel) {
    (void)ticket;
    (void)cancel;
    return true;
  }
  // Gives a lent buffer up to the sink, which frees it once the frames up
  // to `ticket` are written or dropped (a half-written one is finished
  // from it first).
  virtual void ReleaseLent(Buffer payload, uint64_t ticket) {
    (void)payload;
    (void)ticket;
  }
};

}  // namespace drpc::stream
