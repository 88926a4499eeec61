// What a simulated primitive (mutex, condvar, task, atomic) keeps inside
// itself: its identity in the current run and the fibers parked on it.
//
// Both are stamped with the run they belong to. An object can outlive a run
// (a mutex owned by a test fixture) or be touched by a run that failed and
// abandoned fibers in its queue; the first use in a new run therefore starts
// it afresh: a new id (ids are handed out on first use, in step order, so
// they never depend on addresses) and an empty queue.
//
// The queue is intrusive (links live in the fiber records, by fiber id), so
// parking never allocates; it is ordered by arrival.
#pragma once

#include <cstdint>

#include "drpc/sim/ids.h"

namespace drpc::sim {

struct ObjectRef {
  uint64_t run_serial = 0;  // the run that assigned `id`; 0 = never used
  uint32_t id = 0;          // 1, 2, 3... per run
};

struct WaitQueue {
  ObjectRef object;
  FiberId head = kNoFiber;
  FiberId tail = kNoFiber;
  uint32_t size = 0;
  // Mutexes only: the fiber holding it, shown in deadlock reports.
  FiberId owner = kNoFiber;
};

enum class WakeReason : uint8_t { kNotified, kTimeout };

}  // namespace drpc::sim
