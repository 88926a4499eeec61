// RingPolicy: the compile-time knobs of a ring instantiation.
//
//   kChecked  the ownership ledger and poisoning (buffer_pool.h); production
//             uses kCheckedBuild (DRPC_CHECKED), the benchmark both.
//   kBug      a planted bug, for the tests that prove the checkers catch
//             each one (properties/stream). Production instantiations use
//             RingBug::kNone, and every planted branch is an `if constexpr`
//             on it, so they compile to nothing there: no flag, no branch, no
//             byte of state.
#pragma once

#include <cstdint>
#include <string_view>

namespace drpc::stream {

enum class RingBug : uint8_t {
  kNone,
  kDoubleDone,              // Done returns the buffer twice (double release)
  kCloseReleasesHeld,       // Close returns the consumer's held buffer to the pool
  kLeakQueued,              // Close and the destructor drop queued buffers unreturned
  kEnqueueLeaksOnClose,     // an Enqueue that lost the race with Close drops its buffer
  kDequeueSkipsAdvance,     // Dequeue forgets to advance the tail (duplicate delivery)
  kDequeueAdvancesTwice,    // Dequeue advances the tail twice (loss)
  kCloseWakesOnlyConsumer,  // Close wakes the consumer's side only (lost wakeup)
  kPreFix89d4b63,           // upstream before 89d4b63: Close lets the producer reuse the
                            // buffer the consumer still reads (Done is then silently skipped)
};
std::string_view RingBugName(RingBug bug);  // "double-done", ...

template <bool kCheckedValue, RingBug kBugValue = RingBug::kNone>
struct RingPolicy {
  static constexpr bool kChecked = kCheckedValue;
  static constexpr RingBug kBug = kBugValue;
  static_assert(kBug == RingBug::kNone || kChecked,
                "planted bugs exist to be caught by the checked build");
};

}  // namespace drpc::stream
