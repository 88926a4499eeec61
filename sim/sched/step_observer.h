// A read-only view of what each step of a run does, for search strategies
// that need more than the choices: the fuzz driver's interleaving features
// (fuzz/manager_sim) and explore's partial-order reduction (which objects a
// step touches, sleep_sets.h).
//
// The scheduler calls the installed observer of this thread, if any, at
// each scheduling point and wherever a step uses a sync object without one
// of its own (parking on it, waking a waiter of it, a mutex taken or given
// up inside a condition wait). An observer must not change the run: it
// sees, it never decides, so a run is the same with or without one.
#pragma once

#include <cstdint>

#include "drpc/sim/ids.h"

namespace drpc::sim {

class StepObserver {
 public:
  virtual ~StepObserver() = default;

  // `fiber` reached a scheduling point for `op` (StaticName hash) on
  // `object` (0: none); the operation happens when the fiber runs on.
  virtual void OnOp(FiberId fiber, uint64_t op_hash, uint32_t object) = 0;
  // `object` got its id (first use in this run); `name` is its static name.
  virtual void OnNewObject(uint32_t object, const char* name) = 0;
  // The running step parked on or woke a waiter of `object`, or exited
  // (`object`: its exit queue); 0: a timer fired (virtual time moved).
  virtual void OnUse(uint32_t object) = 0;
  // `fiber` took or gave up an rt mutex (which one is not said: a condition
  // wait does it with no scheduling point of its own).
  virtual void OnLock(FiberId fiber) = 0;
  // `fiber` runs next without a choice (the only runnable fiber).
  virtual void OnForced(FiberId fiber) = 0;

  // The observer of this thread's runs, or null.
  static StepObserver* current() { return current_; }

 private:
  friend class ScopedStepObserver;
  static inline constinit thread_local StepObserver* current_ = nullptr;
};

// Installs an observer for the runs this thread makes while it lives.
class ScopedStepObserver {
 public:
  explicit ScopedStepObserver(StepObserver& observer) : previous_(StepObserver::current_) {
    StepObserver::current_ = &observer;
  }
  ~ScopedStepObserver() { StepObserver::current_ = previous_; }
  ScopedStepObserver(const ScopedStepObserver&) = delete;
  ScopedStepObserver& operator=(const ScopedStepObserver&) = delete;

 private:
  StepObserver* previous_;
};

}  // namespace drpc::sim
