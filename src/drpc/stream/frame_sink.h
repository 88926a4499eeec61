// FrameSink: where a stream's outgoing frames go. The connection's MuxWriter
// (src/drpc/manager) implements it; stream tests use a fake. Defined here,
// below the manager, so a stream never depends on the manager.
#pragma once

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
};

}  // namespace drpc::stream
