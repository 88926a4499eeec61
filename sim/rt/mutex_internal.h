// Mutex internals shared by mutex.cc and condvar.cc (a condition wait
// releases and re-acquires the mutex without extra scheduling points).
#pragma once

#include "drpc/rt/internal/sim_state.h"
#include "sim/sched/scheduler.h"

namespace drpc::rt::detail {

// Takes the mutex for the running fiber, parking while another holds it.
void AcquireMutex(sim::Scheduler& scheduler, MutexState& state, const char* name);
// Gives it up and wakes one waiter, chosen by the decision source. The woken
// fiber competes again when it runs (another may take the mutex first).
void ReleaseMutex(sim::Scheduler& scheduler, MutexState& state, const char* name);

}  // namespace drpc::rt::detail
