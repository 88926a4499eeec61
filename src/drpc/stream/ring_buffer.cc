#include "drpc/stream/ring_buffer.h"

#include "drpc/stream/ring_buffer_impl.h"

namespace drpc::stream {

std::string_view EnqueueResultName(EnqueueResult result) {
  switch (result) {
    case EnqueueResult::kQueued:
      return "queued";
    case EnqueueResult::kClosed:
      return "closed";
    case EnqueueResult::kOverBudget:
      return "over-budget";
  }
  return "?";
}

std::string_view RingBugName(RingBug bug) {
  switch (bug) {
    case RingBug::kNone:
      return "none";
    case RingBug::kDoubleDone:
      return "double-done";
    case RingBug::kCloseReleasesHeld:
      return "close-releases-held";
    case RingBug::kLeakQueued:
      return "leak-queued";
    case RingBug::kEnqueueLeaksOnClose:
      return "enqueue-leaks-on-close";
    case RingBug::kDequeueSkipsAdvance:
      return "dequeue-skips-advance";
    case RingBug::kDequeueAdvancesTwice:
      return "dequeue-advances-twice";
    case RingBug::kCloseWakesOnlyConsumer:
      return "close-wakes-only-consumer";
    case RingBug::kPreFix89d4b63:
      return "prefix-89d4b63";
  }
  return "?";
}

template class BasicRingBuffer<RingPolicy<true>>;
template class BasicRingBuffer<RingPolicy<false>>;

}  // namespace drpc::stream
