// Who is waiting, asked from inside a run: every parked task with what it
// waits on and the label of its wait site, as a deadlock report shows them.
// A liveness check (sim/liveness) names with it what is still waiting when
// its bound runs out; the scheduler's own deadlock report is built from it.
//
//   for (const sim::WaitingTask& w : sim::WaitingTasks()) std::cout << w.ToString() << "\n";
//   //  fiber #7 call 3 waits on condvar "stream.recv"#41 at "stream: waits for a message"
#pragma once

#include <string>
#include <vector>

#include "drpc/sim/ids.h"

namespace drpc::sim {

struct WaitingTask {
  FiberId fiber = kNoFiber;
  std::string task;         // `#7 call 3`
  std::string on;           // the object, `condvar "stream.recv"#41` (and its holder), or "a timer"
  std::string label;        // the wait site's label
  Nanos deadline = kNever;  // when its timer fires, if it has one

  // `fiber #7 call 3 waits on condvar "stream.recv"#41 at "label"`, and
  // ` (until 1.5ms)` when it has a timer.
  std::string ToString() const;
};

// Every parked task of the run on this thread, in task id order (the calling
// task is running, so it is never among them). Call from a task of a run.
std::vector<WaitingTask> WaitingTasks();

// Tasks of the run on this thread that have not exited, the caller included.
uint32_t LiveTasks();

// Fails the run with Outcome::kLivenessFailed and `report`, as sim::Fail does
// with kInvariantFailed: the calling task is abandoned.
[[noreturn]] void FailLiveness(std::string report);

}  // namespace drpc::sim
