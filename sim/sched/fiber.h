// One simulated task: a Boost.Context fiber on a pooled stack, plus what the
// scheduler knows about it (state, what it waits on, its timer).
//
// Internal to the scheduler (scheduler.cc and run.cc); the rest of the world
// names fibers by FiberId.
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "drpc/base/unique_function.h"
#include "drpc/fiber/stack_pool.h"
#include "drpc/sim/ids.h"
#include "drpc/sim/wait_queue.h"

namespace drpc::sim::internal {

enum class FiberState : uint8_t {
  kRunnable,   // in the run queue (or running)
  kBlocked,    // parked on a wait queue and/or a timer
  kDone,       // the body returned; the stack is back in the pool
  kAbandoned,  // left parked by a failed run; its stack is reclaimed at the end
  kKilled,     // its host crashed (KillHost): never runs again; its stack is reclaimed at the end
};

// The StackAllocator Boost.Context asks for the fiber's stack: one pooled
// stack. Boost would call deallocate when a fiber's entry function returns;
// ours never return (Scheduler::ExitSwitch), so the scheduler recycles stacks
// itself and deallocate must never be reached.
class PooledStackAllocator {
 public:
  explicit PooledStackAllocator(FiberStack stack) : stack_(stack) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context context;
    context.size = stack_.usable_bytes;
    context.sp = stack_.top();
    return context;
  }
  void deallocate(boost::context::stack_context&) noexcept {
    std::fprintf(stderr, "drpc sim: Boost tried to free a fiber stack the scheduler owns\n");
    std::abort();
  }

 private:
  FiberStack stack_;
};

struct Fiber {
  FiberId id = kNoFiber;
  std::string name;
  FiberState state = FiberState::kRunnable;
  UniqueFunction<void()> body;  // moved onto the fiber's own stack when it starts
  FiberStack stack;

  // The fiber's continuation while it is suspended (empty while it runs).
  boost::context::fiber context;
  void* asan_fake_stack = nullptr;  // ASan's saved fake stack while suspended
  // Roughly its stack pointer when it last switched away: what lies below
  // is dead, which limits what LSan scans if the fiber is abandoned.
  const void* suspended_at = nullptr;
  void* tsan_fiber = nullptr;

  uint64_t runnable_since = 0;  // step at which it last became runnable

  // The simulated host it runs on (0: none), for the world's network
  // (sim/net/world.h): inherited from its spawner, set by the world.
  uint32_t host = 0;
  // rt mutexes it holds: a fiber is killed only while it holds none, so no
  // lock dies with it. `doomed`: its host was killed while it held one; it
  // dies at its next scheduling point or park with none held.
  uint32_t locks_held = 0;
  bool doomed = false;

  // While kBlocked.
  WaitQueue* waiting_on = nullptr;  // null for a pure sleep
  const char* wait_label = nullptr;
  Nanos deadline = kNever;
  uint64_t wait_generation = 0;  // bumps on every park: stale timers are ignored
  FiberId queue_prev = kNoFiber;
  FiberId queue_next = kNoFiber;
  WakeReason wake_reason = WakeReason::kNotified;

  // Joiners park here; its object is the task's identity in traces.
  WaitQueue exit_waiters;
};

}  // namespace drpc::sim::internal
