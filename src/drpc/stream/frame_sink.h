// FrameSink: where a stream's outgoing frames go. The connection's MuxWriter
// (src/drpc/manager) implements it; stream tests use a fake. Defined here,
// below the manager, so a stream never depends on the manager.
#pragma once

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

  // As WriteFrames (or QueueFrame, for one frame, when `burst`), for frames
  // of which frames[taken] has its data inside `payload` (the caller's
  // marshal buffer): the sink may TAKE that buffer instead of copying the
  // data (the MuxWriter does for large payloads and writes them from it).
  // If it takes it, `payload` comes back holding another buffer (empty,
  // with any capacity: recycled memory for the caller's next message);
  // otherwise it is left as it was. Either way the caller may reuse
  // `payload` at once. The default copies, as WriteFrames does.
  virtual Status WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken,
                                   Buffer& payload, rt::Signal* cancel, bool burst) {
    (void)taken;
    (void)payload;
    if (burst && frames.size() == 1) return QueueFrame(frames.front(), cancel);
    return WriteFrames(frames, cancel);
  }
};

}  // namespace drpc::stream
