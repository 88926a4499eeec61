// Simulator backend state behind the rt types: what each primitive keeps
// inside itself so the fiber scheduler of sim/sched can park, wake and name
// it. rt/internal/backend.h includes it in simulator builds; it lives on
// drpc_rt_sim's exported include path and may include only the scheduler
// vocabulary (drpc/sim/*), never "sim/..." (docs/rt.md, "The simulator
// backend lives under sim/"). Every operation is a scheduling point
// (sim/rt/*.cc).
//
// Objects may outlive a run; their state is stamped with the run that last
// used it and starts afresh in a new run (drpc/sim/wait_queue.h).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "drpc/sim/ids.h"
#include "drpc/sim/wait_queue.h"

namespace drpc::rt::detail {

struct MutexState {
  sim::WaitQueue waiters;  // waiters.owner is the holder
};

struct CondVarState {
  sim::WaitQueue waiters;
};

struct TaskState {
  uint64_t run_serial = 0;  // the run the fiber belongs to; 0 = no task
  sim::FiberId fiber = sim::kNoFiber;
};

// One access to an atomic cell: a scheduling point traced as `op`; writes
// also trace the value written (its bits, if it fits in 64). A load's value
// is not known until after the point (another fiber may store first).
void AtomicAccess(sim::ObjectRef& object, const char* name, sim::StaticName op);
void AtomicAccess(sim::ObjectRef& object, const char* name, sim::StaticName op, uint64_t bits);

template <class T>
uint64_t AtomicBits(const T& value) {
  uint64_t bits = 0;
  if constexpr (sizeof(T) <= sizeof(bits)) std::memcpy(&bits, &value, sizeof(T));
  return bits;
}

// The simulator runs fibers on one OS thread, so a plain value is enough;
// what makes it "atomic" is that no fiber can be preempted inside an access,
// and what makes races visible is the scheduling point before each access.
template <class T>
class AtomicCell {
 public:
  AtomicCell(T initial, const char* name) : value_(initial), name_(name) {}

  T load() const {
    AtomicAccess(object_, name_, "atomic.load");
    return value_;
  }
  void store(T v) {
    AtomicAccess(object_, name_, "atomic.store", AtomicBits(v));
    value_ = v;
  }
  T exchange(T v) {
    AtomicAccess(object_, name_, "atomic.exchange", AtomicBits(v));
    T old = value_;
    value_ = v;
    return old;
  }
  bool compare_exchange(T& expected, T desired) {
    AtomicAccess(object_, name_, "atomic.compare_exchange", AtomicBits(desired));
    if (std::memcmp(&value_, &expected, sizeof(T)) == 0) {
      value_ = desired;
      return true;
    }
    expected = value_;
    return false;
  }
  T fetch_add(T d) {
    AtomicAccess(object_, name_, "atomic.fetch_add", AtomicBits(d));
    T old = value_;
    value_ = static_cast<T>(value_ + d);
    return old;
  }
  T fetch_sub(T d) {
    AtomicAccess(object_, name_, "atomic.fetch_sub", AtomicBits(d));
    T old = value_;
    value_ = static_cast<T>(value_ - d);
    return old;
  }

 private:
  T value_;
  const char* name_;
  mutable sim::ObjectRef object_;
};

}  // namespace drpc::rt::detail
