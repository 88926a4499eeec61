// The scheduler of one run, as seen by the simulator backend of rt
// (sim/rt) and by run.cc. Not for tests or scenarios: they use
// run.h and the rt API.
//
// Design decisions (they are what makes a run a pure function of its
// choices):
//  * One OS thread. Fibers run one at a time; a fiber runs until it reaches
//    a scheduling point (every rt operation), blocks or exits. At a
//    scheduling point the decision source picks who runs next (decision.h
//    fixes the order of candidates and what option 0 means).
//  * Fiber ids are sequential per run (main = 1). Object ids are handed out
//    on first use in the run, so in step order. Wait queues are FIFO by
//    arrival. The run queue is ordered by when fibers became runnable.
//    Nothing is ever ordered by address, and nothing iterates an unordered
//    container.
//  * Blocking parks the fiber on a wait queue (and/or a timer); only an
//    explicit wake (traced, with who woke whom on which object) or its timer
//    makes it runnable again. Which waiter a notify_one or a mutex release
//    wakes is a decision too.
//  * Virtual time moves only when nothing is runnable: it jumps to the
//    earliest live timer; timers due at the same instant fire in an order
//    chosen by the decision source (kind kTime).
//  * Nothing runnable and no timer pending: the run is over. It is ok if
//    every fiber exited, else a deadlock, reported with every blocked fiber,
//    the object it waits on (kind, name, id), the mutex holder if any, and
//    the label of the wait site.
//  * A run fails at the first failure; the other fibers are abandoned, never
//    unwound (run.h explains why); their stacks are reclaimed when the run
//    ends (stack_pool.h).
//  * Decisions are made on the stack of the fiber that reached the
//    scheduling point (or blocked, or exited), and control passes straight
//    to the chosen fiber: keeping the current fiber costs no context switch,
//    a preemption costs one. The thread's own stack (where Run waits) gets
//    control back only when the run is over.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drpc/base/function_ref.h"
#include "drpc/base/unique_function.h"
#include "drpc/fiber/stack_pool.h"
#include "drpc/sim/ids.h"
#include "drpc/sim/wait_queue.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/decision.h"
#include "sim/sched/run.h"
#include "sim/sched/trace.h"
#include "sim/sched/waiting.h"

namespace drpc::sim {

// The stack pool is shared with the fiber OS backend (src/drpc/fiber).
using ::drpc::fiber::FiberStack;
using ::drpc::fiber::StackPool;

namespace internal {
struct Fiber;
}

class Scheduler {
 public:
  Scheduler();
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The scheduler running a run on this thread, or null.
  static Scheduler* current() { return current_; }
  // For an rt operation named `operation`: asserts that the caller is a fiber
  // of a run on this thread and returns its scheduler.
  static Scheduler& ForOperation(const char* operation) {
    Scheduler* scheduler = current_;
    if (scheduler == nullptr || scheduler->running_ == kNoFiber) [[unlikely]] {
      OutsideRun(operation);
    }
    return *scheduler;
  }
  // The reusable scheduler of this thread (run.cc).
  static Scheduler& ForThisThread();

  RunResult Execute(DecisionSource& decisions, const RunOptions& options, FunctionRef<void()> main);

  // ---- where the run is
  bool in_fiber() const { return running_ != kNoFiber; }
  FiberId running() const { return running_; }
  uint64_t step() const { return step_; }
  Nanos now() const { return now_; }
  uint64_t run_serial() const { return run_serial_; }
  const std::string& fiber_name(FiberId id) const;

  // ---- identity: ids on first use in this run (and a fresh queue)
  uint32_t Touch(ObjectRef& ref, StaticName kind, const char* name);
  uint32_t Touch(WaitQueue& queue, StaticName kind, const char* name);
  bool InThisRun(const ObjectRef& ref) const { return ref.run_serial == run_serial_; }

  // ---- scheduling points (fiber context)
  // Traces `op` on `object` (0: none), runs the step hooks, and lets the
  // decision source switch to another fiber. The operation itself happens
  // after this returns.
  void SchedulingPoint(StaticName op, uint32_t object);
  void SchedulingPoint(StaticName op, uint32_t object, uint64_t value);

  // ---- blocking (fiber context)
  // Parks the running fiber on `queue` (null: only the timer) until a wake
  // or, if `deadline` is not kNever, until virtual time reaches it
  // (deadline > now()). Block only records it, so the caller can release a
  // mutex between Block and SwitchAway with no window for a lost wakeup.
  void Block(WaitQueue* queue, const char* label, Nanos deadline);
  WakeReason SwitchAway();
  WakeReason Park(WaitQueue* queue, const char* label, Nanos deadline) {
    Block(queue, label, deadline);
    return SwitchAway();
  }

  // ---- waking (fiber context)
  // Wakes one waiter, chosen by the decision source (kSchedule, option 0 =
  // the longest waiting). False if the queue is empty.
  bool WakeOne(WaitQueue& queue);
  // Wakes every waiter, in arrival order. Returns how many.
  uint32_t WakeAll(WaitQueue& queue);

  // ---- tasks
  // Starts a fiber (runnable at once). Not a scheduling point by itself.
  // (Main is spawned with an empty body: it runs the FunctionRef given to
  // Execute.)
  FiberId Spawn(std::string name, UniqueFunction<void()> body);
  bool Exited(FiberId fiber) const;
  WaitQueue& ExitQueue(FiberId fiber);  // joiners park here

  // ---- the running fiber's host tag (fiber context; host_tag.h)
  uint32_t host() const;
  void set_host(uint32_t host);
  // Kills every fiber tagged `host` (a host crash): each never runs again,
  // leaves its wait queue and timer, counts as exited for joins and for the
  // end of the run; when the run ends its stack is reclaimed, never
  // unwound. A fiber
  // inside a critical section (running, runnable with an rt mutex held, or
  // taking a further one) dies as it releases its last one, and a task it
  // starts meanwhile at its first step (the caller, if on `host`, at its
  // next scheduling point); one parked on a condition or timer dies now,
  // locks and all. Returns how many died now.
  uint32_t KillHost(uint32_t host);
  // The running fiber took (+1) or released (-1) an rt mutex (sim/rt); a
  // doomed fiber dies in a release that leaves it holding none.
  void NoteLock(int delta);

  // ---- who is waiting (waiting.h): every parked fiber, in id order, with
  // what it waits on and the label of its wait site
  std::vector<WaitingTask> Waiting() const;
  // Fibers that have not exited (the running one included).
  uint32_t LiveFibers() const;

  // ---- decisions for the simulated world (fiber context)
  uint64_t Choose(uint64_t n, ChoiceKind kind);

  // ---- failing (fiber context): records the failure and abandons the fiber
  [[noreturn]] void FailRunningFiber(Outcome outcome, std::string report);

  // ---- step hooks (run.h StepHook)
  void AddHook(StepHook* hook);
  void RemoveHook(StepHook* hook);

 private:
  struct Timer {
    Nanos deadline;
    uint64_t seq;  // registration order: ties fire oldest first by default
    FiberId fiber;
    uint64_t generation;
  };

  internal::Fiber& fiber(FiberId id) const { return *fibers_[id - 1]; }
  internal::Fiber& Running() const;
  void BeginRun(DecisionSource& decisions, const RunOptions& options);
  RunResult EndRun();
  FiberId PickNext();
  FiberId Decide(FiberId running);
  uint64_t Ask(ChoiceKind kind, uint64_t n, std::span<const FiberId> candidates, FiberId running,
               bool picks_waiter = false);
  void CheckStepLimit() {
    if (step_ >= options_.max_steps) [[unlikely]] {
      StepLimitReached();
    }
  }
  void StepLimitReached();
  [[noreturn]] static void OutsideRun(const char* operation);
  bool FireNextTimers();
  void Wake(internal::Fiber& f, WakeReason reason);
  void Append(WaitQueue& queue, internal::Fiber& f);
  void Unlink(WaitQueue& queue, internal::Fiber& f);
  void RemoveRunnable(FiberId id);
  void RunHooks();
  void Transfer(internal::Fiber* from, internal::Fiber* to, bool from_finished);
  void Adopt(boost::context::fiber&& previous);
  void MakeContext(internal::Fiber& f);
  [[noreturn]] void FiberMain(internal::Fiber& f, boost::context::fiber& previous);
  void RunBody(internal::Fiber& f);
  void FinishBody(internal::Fiber& f);
  // A fiber left parked or killed when its run ends: never unwound, but its
  // stack goes back to the pool (stack_pool.h).
  void Reclaim(internal::Fiber& f);
  static const void* LiveFrom(const internal::Fiber& f);
  // Takes a blocked or runnable fiber that is not running out of the run.
  void Kill(internal::Fiber& f);
  // Blocked waiting to take a mutex another fiber owns.
  static bool AcquiringMutex(const internal::Fiber& f);
  // The running fiber dies here: doomed and holding no lock, or doomed and
  // parking (not on a mutex).
  [[noreturn]] void DieNow(internal::Fiber& me);
  void RecordFailure(Outcome outcome, std::string report);
  void FailDeadlock();
  // Opens the trace's next event, stamped with the step and virtual time;
  // the caller fills in the rest and calls trace_.Close(). Built in place:
  // no copy of the event on the hot path.
  TraceEvent& NewEvent(EventType type) {
    TraceEvent& event = trace_.Open();
    event = TraceEvent{};
    event.step = step_;
    event.time = now_;
    event.type = type;
    return event;
  }
  TraceNames Names() const;
  uint32_t NewObject(StaticName kind, const char* name);

  static inline constinit thread_local Scheduler* current_ = nullptr;

  // Per run.
  RunOptions options_;
  DecisionSource* source_ = nullptr;
  std::optional<FunctionRef<void()>> main_;  // main's body, until main starts
  ChoiceLog choice_log_;
  StackPool* pool_ = nullptr;
  uint64_t run_serial_ = 0;
  uint64_t step_ = 0;
  Nanos now_ = 0;
  FiberId running_ = kNoFiber;
  internal::Fiber* switched_from_ = nullptr;  // who is switching to whom (Adopt)
  FiberId announced_ = kNoFiber;              // named by the last decision's choice event
  uint32_t fiber_count_ = 0;
  std::vector<FiberId> runnable_;  // in the order they became runnable
  std::vector<FiberId> candidates_;
  std::vector<FiberId> due_;
  std::vector<Timer> timers_;  // a min-heap on (deadline, seq)
  uint64_t timer_seq_ = 0;
  std::vector<TraceNames::Object> objects_;
  std::vector<StepHook*> hooks_;
  bool in_hook_ = false;
  Trace trace_;
  bool failed_ = false;
  Outcome outcome_ = Outcome::kOk;
  std::string report_;
  std::exception_ptr exception_;
  uint32_t abandoned_ = 0;

  // The thread's own stack, where Run waits while fibers run: its
  // continuation while suspended, and its bounds for the sanitizers.
  boost::context::fiber scheduler_context_;
  const void* scheduler_stack_bottom_ = nullptr;
  size_t scheduler_stack_bytes_ = 0;
  void* scheduler_fake_stack_ = nullptr;
  void* scheduler_tsan_fiber_ = nullptr;

  // Fiber records, reused across runs (index = FiberId - 1).
  std::vector<std::unique_ptr<internal::Fiber>> fibers_;
};

}  // namespace drpc::sim
