// A ring workload: what the producer sends, what the consumer does with each
// message, and whether and when a closer closes the ring. The same program
// runs from three drivers:
//   * RapidCheck generates it (properties/stream) and EncodeProgram turns it
//     into the workload answers DrawProgram reads, so a shrunk failure is
//     also an ordinary choice log that drpc-sim replays;
//   * a seeded sweep or a drpc-sim scenario draws it inside the run from the
//     seed (DrawProgram over sim::Choose);
//   * libFuzzer's bytes are the choices (fuzz/ring_ops).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/sched/choice_log.h"

namespace drpc::sim::ring {

inline constexpr uint32_t kMaxMessages = 24;
inline constexpr uint32_t kMaxChunks = 4;
inline constexpr uint32_t kMaxCloserDelay = 63;    // yields before the closer's Close
inline constexpr uint32_t kMaxTeardownDelay = 63;  // yields before main's teardown Close
inline constexpr uint32_t kCloseErrors = 4;        // see CloseError()
inline constexpr uint32_t kSmallBudgetMax = 256;
inline constexpr uint32_t kLargeBudgetMax = 256 * 1024;

// What the consumer does with one dequeued message.
struct ConsumerStep {
  uint8_t chunks = 1;  // read it in this many pieces, yielding between them (1..4)
  // Keep the lease until the closer has closed the ring, then read it all
  // again (only with a closer).
  bool hold_across_close = false;
  bool done_by_destructor = false;  // finish with the lease's destructor, not Done()
  friend bool operator==(const ConsumerStep&, const ConsumerStep&) = default;
};

struct RingProgram {
  uint32_t capacity = 4;   // slots: 1..8 or 256
  uint32_t max_bytes = 0;  // byte budget (variant B); 0 = none
  // The producer enqueues message i with sizes[i] bytes (0 B to 256 KiB),
  // then closes the ring with EOF, as the reader does at a remote close.
  std::vector<uint32_t> sizes;
  // One step per Dequeue. After the last one the consumer stops early,
  // unless it drains: then it dequeues until the error, and twice more.
  std::vector<ConsumerStep> consumer;
  bool consumer_drains = true;
  // Yields main makes after the consumer finished, before the stream's
  // teardown Close (gives a producer time to fill the ring and block).
  uint32_t teardown_delay = 0;
  // A closer task: yields closer_delay times, closes with
  // CloseError(close_error), and maybe closes again with another error.
  bool closer = false;
  uint32_t closer_delay = 0;
  uint32_t close_error = 0;
  bool closer_closes_twice = false;

  friend bool operator==(const RingProgram&, const RingProgram&) = default;
};

// Multi-line, for counterexamples and reports.
std::string Describe(const RingProgram& program);

// Draws a program from the run's decisions (sim::Choose, kind kWorkload).
// Must be called inside a run. Smaller answers give a simpler program: 0
// everywhere is capacity 1, no budget, no messages, no closer.
RingProgram DrawProgram();

// The workload answers that make DrawProgram return `program` (which must be
// in range: see the constants above). Choices with one option are not
// asked, so they are not in the list.
ChoiceLog EncodeProgram(const RingProgram& program);

}  // namespace drpc::sim::ring
