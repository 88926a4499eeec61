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
    kIfLarge,  // take it if frames[taken]'s data are large, else copy them
    // Neither take nor copy: write frames[taken]'s data from `payload`,
    // which stays the caller's. A packet of several frames goes so, frame
    // by frame (other streams' frames interleave with it), then the caller
    // waits for them with FinishLending before it reuses its buffer.
    kLend,
  };

  // As WriteFrames (or QueueFrame, for one frame, when `burst`), for frames
  // of which frames[taken] has its data inside `payload` (the caller's
  // marshal buffer). kIfLarge: the sink may TAKE that buffer instead of
  // copying the data (the MuxWriter does for large payloads and writes them
  // from it); it then comes back holding another buffer (empty, with any
  // capacity: recycled memory for the caller's next message), else as it
  // was; either way the caller may reuse it at once. kLend: the sink may
  // keep reading frames[taken]'s data from `payload` after this returns, so
  // the caller keeps it alive and unchanged until FinishLending or
  // ReleaseLent. A sink that copies (the default) leaves `payload` as it
  // was whatever the handover.
  virtual Status WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken,
                                   Buffer& payload, rt::Signal* cancel, bool burst,
                                   Handover handover) {
    (void)taken;
    (void)payload;
    (void)handover;
    if (burst && frames.size() == 1) return QueueFrame(frames.front(), cancel);
    return WriteFrames(frames, cancel);
  }

  // After frames lent from `payload` (kLend): waits until they are written,
  // and `payload` is the caller's again. If that cannot be waited for (a
  // set `cancel`, an abortive stop) the sink keeps `payload` until they are
  // written or dropped, and it comes back empty. The default (a sink that
  // copies) returns at once.
  virtual void FinishLending(Buffer& payload, rt::Signal* cancel) {
    (void)payload;
    (void)cancel;
  }

  // Gives up a lending at once (the packet is abandoned half-way): the sink
  // keeps `payload` until the frames lent from it are written or dropped,
  // and it comes back empty (or as it was, from a sink that copies).
  virtual void ReleaseLent(Buffer& payload) { (void)payload; }
};

}  // namespace drpc::stream
