// What every task of the process waits on, for watchdogs and hang reports:
// a test that has not finished in a few seconds prints this instead of
// waiting for ctest's timeout (tests/common/watchdog.h).
//
//   for (const rt::WaitingTask& t : rt::WaitingTasks())
//     std::fprintf(stderr, "%s waits on %s\n", t.name.c_str(), t.label);
//
// Each backend records the label of every wait in progress (CondVar,
// Signal, sleeps, joins, I/O). For diagnostics only: a snapshot, possibly
// stale by the time it is read; never a basis for a decision.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace drpc::rt {

struct WaitingTask {
  uint64_t id = 0;          // rt::current_task().id of the waiter (0: a thread rt did not start)
  std::string name;         // the task's name
  const char* label = "";   // the wait's label ("queue.pop", "io.read", "join", ...)
  const char* object = "";  // the name of the condvar, mutex or signal waited on, if any
};

// Every task blocked in an rt wait right now, ordered by id.
std::vector<WaitingTask> WaitingTasks();

}  // namespace drpc::rt
