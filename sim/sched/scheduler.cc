#include "sim/sched/scheduler.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <optional>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/fiber/sanitizers.h"
#include "sim/sched/fiber.h"
#include "sim/sched/step_observer.h"

namespace drpc::sim {

namespace sanitizer = ::drpc::fiber::sanitizer;

using internal::Fiber;
using internal::FiberState;

namespace {

std::atomic<uint64_t> g_next_run_serial{1};  // 0 means "never used" (ObjectRef)

// Run serials only need to be unique in the process (objects and task
// handles compare them for equality, never for order), so each thread takes
// them from the shared counter a block at a time: one atomic read-modify-
// write per kBlock runs instead of one per run.
uint64_t NextRunSerial() {
  constexpr uint64_t kBlock = 1024;
  thread_local uint64_t next = 0;
  thread_local uint64_t end = 0;
  if (next == end) {
    next = g_next_run_serial.fetch_add(kBlock, std::memory_order_relaxed);
    end = next + kBlock;
  }
  return next++;
}

// Bodies of fibers a failed run abandoned before they ever started. Their
// captures may own objects whose destructors perform rt operations, which
// would assert outside a run, so they are never destroyed: they stay here,
// reachable (LSan sees them), for the life of the process.
struct Grave {
  UniqueFunction<void()> body;
  Grave* next;
};
std::atomic<Grave*> g_graveyard{nullptr};

void Bury(UniqueFunction<void()> body) {
  Grave* grave = new Grave{std::move(body), g_graveyard.load(std::memory_order_relaxed)};
  while (!g_graveyard.compare_exchange_weak(grave->next, grave, std::memory_order_release,
                                            std::memory_order_relaxed)) {
  }
}

// Drops a suspended Boost fiber without destroying it: its destructor would
// unwind the fiber's stack with an exception (forced_unwind), which is the
// one thing an abandoned fiber must never see. A union member is never
// destroyed implicitly.
void Forget(boost::context::fiber&& context) {
  union Holder {
    Holder() {}
    ~Holder() {}
    boost::context::fiber fiber;
  } holder;
  new (&holder.fiber) boost::context::fiber(std::move(context));
}

// DRPC_ASSERT inside a fiber fails the run (with the schedule that led
// there) instead of aborting the process. Anywhere else (the scheduler
// itself, or code outside any run) the handler returns and the default
// report-and-abort follows.
void OnInvariantViolated(const std::string& report) {
  Scheduler* scheduler = Scheduler::current();
  if (scheduler != nullptr && scheduler->in_fiber()) {
    scheduler->FailRunningFiber(Outcome::kInvariantFailed, report);
  }
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

Scheduler::Scheduler() = default;
Scheduler::~Scheduler() = default;

Scheduler& Scheduler::ForThisThread() {
  thread_local Scheduler scheduler;
  return scheduler;
}

void Scheduler::OutsideRun(const char* operation) {
  DRPC_ASSERT(false, std::string(operation) +
                         " called outside a simulated run: in a simulator build, rt operations "
                         "must run on a fiber inside sim::Run (objects a run uses belong inside "
                         "its body)");
}

const std::string& Scheduler::fiber_name(FiberId id) const {
  DRPC_ASSERT(id != kNoFiber && id <= fiber_count_, "no such fiber in this run");
  return fiber(id).name;
}

Fiber& Scheduler::Running() const {
  DRPC_ASSERT(running_ != kNoFiber, "no fiber is running");
  return fiber(running_);
}

// ---------------------------------------------------------------- the run

RunResult Scheduler::Execute(DecisionSource& decisions, const RunOptions& options,
                             FunctionRef<void()> main) {
  DRPC_ASSERT(current_ == nullptr, "sim::Run called inside a run: runs do not nest");
  BeginRun(decisions, options);
  // Main runs the caller's callable through `main` itself (RunBody): no
  // UniqueFunction wrapper, so no heap allocation for it in every run.
  main_ = main;
  Spawn("main", UniqueFunction<void()>());
  // Fibers hand control to each other directly; control comes back here
  // only when the run is over (everything exited, a deadlock, a failure).
  const FiberId first = PickNext();
  DRPC_ASSERT(first == 1, "a run starts with main");
  Transfer(nullptr, &fiber(first), false);
  return EndRun();
}

void Scheduler::BeginRun(DecisionSource& decisions, const RunOptions& options) {
  DRPC_ASSERT(options.max_steps > 0 && options.max_fibers > 0, "RunOptions bounds must be > 0");
  options_ = options;
  source_ = &decisions;
  // Recorded here rather than through a RecordingSource: one virtual call
  // per decision fewer, on the hottest path of a run.
  choice_log_ = ChoiceLog();
  pool_ = &StackPool::ForThisThread();
  run_serial_ = NextRunSerial();
  step_ = 0;
  now_ = 0;
  running_ = kNoFiber;
  switched_from_ = nullptr;
  fiber_count_ = 0;
  runnable_.clear();
  timers_.clear();
  timer_seq_ = 0;
  objects_.clear();
  hooks_.clear();
  in_hook_ = false;
  trace_.Reset(options.trace_tail_events, options.keep_full_trace);
  failed_ = false;
  outcome_ = Outcome::kOk;
  report_.clear();
  exception_ = nullptr;
  abandoned_ = 0;
  scheduler_tsan_fiber_ = sanitizer::TsanCurrentFiber();
  // Installed at every run (someone may have replaced it) and never removed:
  // outside a fiber it defers to the default handler anyway.
  SetInvariantHandler(&OnInvariantViolated);
  current_ = this;
}

// Who runs after a fiber blocked or exited (or at the start). Runs on that
// fiber's stack with running_ cleared, since what happens here (time
// advancing, timers firing, the decision) is the scheduler's doing. Returns
// kNoFiber when the run is over: all exited, a deadlock, or a failure.
FiberId Scheduler::PickNext() {
  while (runnable_.empty()) {
    if (!FireNextTimers()) {
      bool all_done = true;
      for (uint32_t id = 1; id <= fiber_count_; ++id) {
        const FiberState state = fiber(id).state;
        all_done = all_done && (state == FiberState::kDone || state == FiberState::kKilled);
      }
      if (!all_done) FailDeadlock();
      return kNoFiber;
    }
    if (failed_) return kNoFiber;
  }
  CheckStepLimit();
  if (failed_) return kNoFiber;
  FiberId next = Decide(kNoFiber);
  if (failed_) return kNoFiber;
  ++step_;
  return next;
}

void Scheduler::StepLimitReached() {
  std::string report = "step limit: " + std::to_string(options_.max_steps) +
                       " scheduling steps without finishing (a livelock, or raise max_steps); "
                       "runnable:";
  for (FiberId id : runnable_) report += " #" + std::to_string(id) + " " + fiber(id).name;
  if (in_fiber()) FailRunningFiber(Outcome::kStepLimit, report);
  RecordFailure(Outcome::kStepLimit, report);
}

FiberId Scheduler::Decide(FiberId running) {
  DRPC_ASSERT(!runnable_.empty(), "deciding with nothing runnable");
  announced_ = kNoFiber;
  if (runnable_.size() == 1) {
    if (StepObserver* observer = StepObserver::current()) observer->OnForced(runnable_[0]);
    return runnable_[0];
  }
  candidates_.clear();
  if (running != kNoFiber) candidates_.push_back(running);
  for (FiberId id : runnable_) {
    if (id != running) candidates_.push_back(id);
  }
  DRPC_ASSERT(candidates_.size() == runnable_.size(), "the running fiber must be runnable");
  const uint64_t option = Ask(ChoiceKind::kSchedule, candidates_.size(), candidates_, running);
  announced_ = candidates_[option];  // the choice event already names who runs next
  return candidates_[option];
}

uint64_t Scheduler::Ask(ChoiceKind kind, uint64_t n, std::span<const FiberId> candidates,
                        FiberId running, bool picks_waiter) {
  DRPC_ASSERT(n >= 2, "ask only when there is a choice");
  const uint64_t option =
      source_->Choose(ChoiceRequest{kind, n, step_, candidates, running, picks_waiter});
  DRPC_ASSERT(option < n, "the decision source answered outside [0, n)");
  if (options_.record_choices) {
    if (choice_log_.capacity() == 0) choice_log_.reserve(32);  // one allocation for a small run
    choice_log_.push_back(ChoiceRecord{kind, n, option});
  }
  TraceEvent& event = NewEvent(EventType::kChoice);
  event.fiber = running_;
  event.choice_kind = kind;
  event.n = n;
  event.value = option;
  event.other = candidates.empty() ? kNoFiber : candidates[option];
  trace_.Close();
  if (source_->diverged()) {
    if (in_fiber()) FailRunningFiber(Outcome::kNondeterminism, source_->divergence());
    RecordFailure(Outcome::kNondeterminism, source_->divergence());
  }
  return option;
}

bool Scheduler::FireNextTimers() {
  auto later = [](const Timer& a, const Timer& b) {
    return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
  };
  auto live = [this](const Timer& t) {
    const Fiber& f = fiber(t.fiber);
    return f.state == FiberState::kBlocked && f.wait_generation == t.generation;
  };
  due_.clear();
  Nanos deadline = kNever;
  while (!timers_.empty()) {
    if (!due_.empty() && timers_.front().deadline != deadline) break;
    std::pop_heap(timers_.begin(), timers_.end(), later);
    Timer timer = timers_.back();
    timers_.pop_back();
    if (!live(timer)) continue;
    deadline = timer.deadline;
    due_.push_back(timer.fiber);
  }
  if (due_.empty()) return false;
  DRPC_ASSERT(deadline > now_, "a timer is due in the past");
  now_ = deadline;
  TraceEvent& advance = NewEvent(EventType::kTimeAdvance);
  advance.value = static_cast<uint64_t>(deadline);
  trace_.Close();
  // Same-instant timers fire in an order the decision source picks; option 0
  // is registration order.
  while (!due_.empty()) {
    size_t index = 0;
    if (due_.size() > 1) {
      index = Ask(ChoiceKind::kTime, due_.size(), due_, kNoFiber);
      if (failed_) return true;
    }
    Fiber& f = fiber(due_[index]);
    due_.erase(due_.begin() + static_cast<ptrdiff_t>(index));
    Wake(f, WakeReason::kTimeout);
  }
  return true;
}

// ---------------------------------------------------------------- switching

// Suspends `from` (null: the scheduler's own stack) and runs `to` (null:
// the scheduler), directly: one context switch, not two through a loop.
// Whoever resumes `from` later hands over its own continuation, which
// Adopt files away. `from_finished`: `from` exits and never runs again.
//
// Not instrumented by ASan: at a fiber's final switch no fake frame may be
// live on its stack (FiberMain explains why), and this is the frame on top.
DRPC_FIBER_NO_ASAN void Scheduler::Transfer(Fiber* from, Fiber* to, bool from_finished) {
  DRPC_ASSERT(from != to, "a fiber cannot switch to itself");
  const void* to_bottom = scheduler_stack_bottom_;
  size_t to_bytes = scheduler_stack_bytes_;
  void* to_tsan = scheduler_tsan_fiber_;
  boost::context::fiber* target = &scheduler_context_;
  bool first_run = false;
  if (to != nullptr) {
    DRPC_ASSERT(to->state == FiberState::kRunnable, "switching to a fiber that cannot run");
    if (announced_ != to->id) {  // else the choice event already named it
      TraceEvent& event = NewEvent(EventType::kSwitch);
      event.fiber = to->id;
      trace_.Close();
    }
    first_run = !to->context;
    if (first_run) {
      to->stack = pool_->Acquire(options_.stack_bytes);
      to->tsan_fiber = sanitizer::TsanCreateFiber();
    }
    to_bottom = to->stack.bottom;
    to_bytes = to->stack.usable_bytes;
    to_tsan = to->tsan_fiber;
    target = &to->context;
  }
  void** fake_stack = from == nullptr ? &scheduler_fake_stack_
                      : from_finished ? &from->stack.asan_fake_stack
                                      : &from->asan_fake_stack;
  sanitizer::StartSwitch(fake_stack, to_bottom, to_bytes);
  sanitizer::TsanSwitchTo(to_tsan);
  // Creating a Boost fiber already runs the start of its entry function on
  // the new stack. Doing it here, between StartSwitch and FinishSwitch, keeps
  // those frames on the real stack: ASan hands out no fake frames while a
  // switch is in progress. (Made on the spawner's stack, they would live in
  // the spawner's fake stack and die with it.)
  if (first_run) MakeContext(*to);
  switched_from_ = from;
  if (from != nullptr) from->suspended_at = __builtin_frame_address(0);
  boost::context::fiber previous = std::move(*target).resume();
  // `from` runs again.
  sanitizer::FinishSwitch(from == nullptr ? scheduler_fake_stack_ : from->asan_fake_stack, nullptr,
                          nullptr);
  Adopt(std::move(previous));
  running_ = from == nullptr ? kNoFiber : from->id;
}

// Files the continuation of the context that just switched to us.
void Scheduler::Adopt(boost::context::fiber&& previous) {
  Fiber* from = switched_from_;
  switched_from_ = nullptr;
  if (from == nullptr) {
    scheduler_context_ = std::move(previous);
  } else if (from->state == FiberState::kDone) {
    // It is parked for good in its final switch: drop the context without
    // unwinding (nothing is left to unwind) and reuse its stack.
    Forget(std::move(previous));
    pool_->Release(from->stack);
    from->stack = FiberStack{};
    sanitizer::TsanDestroyFiber(from->tsan_fiber);
    from->tsan_fiber = nullptr;
  } else {
    from->context = std::move(previous);
  }
}

// ---------------------------------------------------------------- fibers

FiberId Scheduler::Spawn(std::string name, UniqueFunction<void()> body) {
  DRPC_ASSERT(fiber_count_ < options_.max_fibers, "a run may spawn at most " +
                                                      std::to_string(options_.max_fibers) +
                                                      " fibers (RunOptions::max_fibers)");
  if (fiber_count_ == fibers_.size()) fibers_.push_back(std::make_unique<Fiber>());
  Fiber& f = *fibers_[fiber_count_];
  DRPC_ASSERT(!f.context && !f.body, "a reused fiber record is not clean");
  f.id = ++fiber_count_;
  f.name = std::move(name);
  f.state = FiberState::kRunnable;
  f.body = std::move(body);
  f.asan_fake_stack = nullptr;
  f.suspended_at = nullptr;
  f.runnable_since = step_;
  f.host = running_ != kNoFiber ? fiber(running_).host : 0;  // a task runs where it was started
  f.locks_held = 0;
  // A task started by a doomed one (its host crashed while it held a lock)
  // is part of the crash too: it dies at its first scheduling point.
  f.doomed = running_ != kNoFiber && fiber(running_).doomed;
  f.waiting_on = nullptr;
  f.wait_label = nullptr;
  f.deadline = kNever;
  f.queue_prev = f.queue_next = kNoFiber;
  f.wake_reason = WakeReason::kNotified;
  // The task's object is named after the fiber, whose record keeps the name
  // for the whole run: Names() fills it in, so a spawn copies no string
  // (the strlen and copy were a visible part of a spawn's cost).
  objects_.push_back(TraceNames::Object{"task", std::string()});
  f.exit_waiters = WaitQueue{};
  f.exit_waiters.object.run_serial = run_serial_;
  f.exit_waiters.object.id = static_cast<uint32_t>(objects_.size());
  // The stack and the Boost context are made when the fiber first runs
  // (Transfer): a fiber that never runs costs nothing, and the creation
  // happens inside an annotated switch.
  f.stack = FiberStack{};
  runnable_.push_back(f.id);
  TraceEvent& event = NewEvent(EventType::kSpawn);
  event.fiber = running_;
  event.other = f.id;
  event.object = f.exit_waiters.object.id;
  trace_.Close();
  return f.id;
}

void Scheduler::MakeContext(Fiber& f) {
  f.context =
      boost::context::fiber(std::allocator_arg, internal::PooledStackAllocator(f.stack),
                            [this, &f](boost::context::fiber&& previous) -> boost::context::fiber {
                              FiberMain(f, previous);
                            });
}

// A fiber's whole life on its own stack. It never returns: returning into
// Boost's entry function would run Boost's frames after the final switch
// annotation. Whoever runs next recycles the stack (Adopt).
//
// ASan's fake stack (detect_stack_use_after_return) travels with the pooled
// stack, so a reused stack reuses its fake stack instead of mapping and
// unmapping one per fiber (that alone made ASan runs ten times slower). For
// that, no fake frame may still be live at the final switch: this function
// and Transfer are not instrumented, and the frames below (Boost's entry)
// were made during an annotated switch, where ASan hands out no fake frames.
DRPC_FIBER_NO_ASAN void Scheduler::FiberMain(Fiber& f, boost::context::fiber& previous) {
  // First the sanitizers learn where we are; only then may instrumented code
  // run. A run's first switch comes from the scheduler: learn its stack.
  const bool from_scheduler = switched_from_ == nullptr;
  sanitizer::FinishSwitch(f.stack.asan_fake_stack,
                          from_scheduler ? &scheduler_stack_bottom_ : nullptr,
                          from_scheduler ? &scheduler_stack_bytes_ : nullptr);
  Adopt(std::move(previous));
  running_ = f.id;
  RunBody(f);
  FinishBody(f);
  running_ = kNoFiber;
  const FiberId next = PickNext();
  Transfer(&f, next == kNoFiber ? nullptr : &fiber(next), /*from_finished=*/true);
  std::fprintf(stderr, "drpc sim: a finished fiber was resumed\n");
  std::abort();
}

void Scheduler::RunBody(Fiber& f) {
  // The body lives on the fiber's own stack from here on, so an abandoned
  // fiber keeps its captures alive with it.
  UniqueFunction<void()> body = std::move(f.body);
  const std::optional<FunctionRef<void()>> main =
      f.id == 1 ? std::exchange(main_, std::nullopt) : std::nullopt;
  try {
    if (main) {
      (*main)();
    } else {
      body();
    }
  } catch (const boost::context::detail::forced_unwind&) {
    throw;  // Boost's own unwinding (never used here, but never swallow it)
  } catch (...) {
    // Not a library catch-all: the exception is kept in the RunResult for
    // the caller to rethrow (RapidCheck's RC_ASSERT throws a non-std type).
    std::string what = "an exception that is not a std::exception";
    try {
      throw;
    } catch (const std::exception& e) {
      what = std::string("std::exception: ") + e.what();
    } catch (...) {
    }
    if (!failed_) exception_ = std::current_exception();
    RecordFailure(
        Outcome::kUncaughtException,
        "uncaught exception in fiber #" + std::to_string(f.id) + " " + Quote(f.name) + ": " + what);
  }
}

void Scheduler::FinishBody(Fiber& f) {
  if (!failed_) RunHooks();
  TraceEvent& event = NewEvent(EventType::kExit);
  event.fiber = f.id;
  event.object = f.exit_waiters.object.id;
  trace_.Close();
  if (StepObserver* observer = StepObserver::current()) observer->OnUse(event.object);
  f.state = FiberState::kDone;
  RemoveRunnable(f.id);
  WakeAll(f.exit_waiters);
}

bool Scheduler::Exited(FiberId id) const {
  DRPC_ASSERT(id != kNoFiber && id <= fiber_count_, "no such fiber in this run");
  return fiber(id).state == FiberState::kDone || fiber(id).state == FiberState::kKilled;
}

WaitQueue& Scheduler::ExitQueue(FiberId id) {
  DRPC_ASSERT(id != kNoFiber && id <= fiber_count_, "no such fiber in this run");
  return fiber(id).exit_waiters;
}

// The lowest address a fiber that never runs again may still use (null:
// unknown). Transfer's frame is near the top of the used stack; Boost saves
// the registers just below it, and the margin covers that.
const void* Scheduler::LiveFrom(const Fiber& f) {
  constexpr size_t kMarginBytes = 4096;
  const char* at = static_cast<const char*>(f.suspended_at);
  return at != nullptr ? at - kMarginBytes : nullptr;
}

void Scheduler::Reclaim(Fiber& f) {
  // Never unwound: what it owned is never destroyed (stack_pool.h).
  if (f.body) Bury(std::move(f.body));
  if (f.context) Forget(std::move(f.context));
  if (f.stack.mapping != nullptr) {
    // Its fake frames stay in its own ASan fake stack, a root for good: the
    // stack goes back to the pool without it, so they are never reused.
    sanitizer::RegisterFakeStackRoot(f.asan_fake_stack);
    f.stack.asan_fake_stack = nullptr;
    pool_->Reclaim(f.stack, LiveFrom(f));
  }
  f.stack = FiberStack{};
  sanitizer::TsanDestroyFiber(f.tsan_fiber);
  f.tsan_fiber = nullptr;
}

// ---------------------------------------------------------------- points

void Scheduler::SchedulingPoint(StaticName op, uint32_t object) {
  Fiber& me = Running();
  DRPC_ASSERT(!in_hook_, std::string("rt operation `") + op.text() + "` inside a step hook");
  TraceEvent& event = NewEvent(EventType::kOp);
  event.fiber = me.id;
  event.object = object;
  event.op = op.text();
  event.op_hash = op.hash();
  trace_.Close();
  if (StepObserver* observer = StepObserver::current()) observer->OnOp(me.id, op.hash(), object);
  RunHooks();
  if (me.doomed && me.locks_held == 0) [[unlikely]] {
    DieNow(me);
  }
  CheckStepLimit();
  const FiberId next = Decide(me.id);
  ++step_;
  if (next == me.id) return;
  Transfer(&me, &fiber(next), false);
}

void Scheduler::SchedulingPoint(StaticName op, uint32_t object, uint64_t value) {
  Fiber& me = Running();
  DRPC_ASSERT(!in_hook_, std::string("rt operation `") + op.text() + "` inside a step hook");
  TraceEvent& event = NewEvent(EventType::kOp);
  event.fiber = me.id;
  event.object = object;
  event.op = op.text();
  event.op_hash = op.hash();
  event.has_value = true;
  event.value = value;
  trace_.Close();
  if (StepObserver* observer = StepObserver::current()) observer->OnOp(me.id, op.hash(), object);
  RunHooks();
  if (me.doomed && me.locks_held == 0) [[unlikely]] {
    DieNow(me);
  }
  CheckStepLimit();
  const FiberId next = Decide(me.id);
  ++step_;
  if (next == me.id) return;
  Transfer(&me, &fiber(next), false);
}

void Scheduler::RunHooks() {
  if (hooks_.empty()) return;
  in_hook_ = true;
  for (size_t i = 0; i < hooks_.size(); ++i) hooks_[i]->Check();
  in_hook_ = false;
}

void Scheduler::AddHook(StepHook* hook) {
  DRPC_ASSERT(!in_hook_, "step hooks cannot be added by a step hook");
  hooks_.push_back(hook);
}

void Scheduler::RemoveHook(StepHook* hook) {
  DRPC_ASSERT(!in_hook_, "step hooks cannot be removed by a step hook");
  auto it = std::find(hooks_.begin(), hooks_.end(), hook);
  DRPC_ASSERT(it != hooks_.end(), "removing a step hook that is not registered");
  hooks_.erase(it);
}

// ---------------------------------------------------------------- blocking

void Scheduler::Block(WaitQueue* queue, const char* label, Nanos deadline) {
  Fiber& me = Running();
  DRPC_ASSERT(me.state == FiberState::kRunnable, "only a running fiber can block");
  DRPC_ASSERT(deadline > now_, "a wait's deadline must be in the future (check it first)");
  DRPC_ASSERT(queue != nullptr || deadline != kNever, "a wait needs a queue or a deadline");
  me.state = FiberState::kBlocked;
  me.waiting_on = queue;
  me.wait_label = label;
  me.deadline = deadline;
  ++me.wait_generation;
  me.wake_reason = WakeReason::kNotified;
  if (queue != nullptr) {
    DRPC_ASSERT(queue->object.run_serial == run_serial_, "Touch a queue before waiting on it");
    Append(*queue, me);
  }
  if (deadline != kNever) {
    timers_.push_back(Timer{deadline, timer_seq_++, me.id, me.wait_generation});
    std::push_heap(timers_.begin(), timers_.end(), [](const Timer& a, const Timer& b) {
      return a.deadline != b.deadline ? a.deadline > b.deadline : a.seq > b.seq;
    });
  }
  RemoveRunnable(me.id);
  TraceEvent& event = NewEvent(EventType::kPark);
  event.fiber = me.id;
  event.object = queue != nullptr ? queue->object.id : 0;
  if (StepObserver* observer = StepObserver::current()) observer->OnUse(event.object);
  event.label = label;
  event.value = static_cast<uint64_t>(deadline);
  trace_.Close();
}

WakeReason Scheduler::SwitchAway() {
  Fiber& me = Running();
  DRPC_ASSERT(me.state == FiberState::kBlocked, "SwitchAway without Block");
  // A doomed task (its host crashed while it held a lock) that now parks on
  // a condition or a timer dies here, even with locks still held: KillHost
  // kills such a parked task at once for the same reason (what it holds
  // guards only its host's own state); left parked, nothing would ever kill
  // it. Blocked acquiring a mutex, it lives on until it lets go of the last.
  if (me.doomed && (me.locks_held == 0 || !AcquiringMutex(me))) [[unlikely]] {
    DieNow(me);
  }
  running_ = kNoFiber;
  const FiberId next = PickNext();
  if (next == me.id) {  // its own timer fired and nothing else could run
    running_ = me.id;
  } else {
    Transfer(&me, next == kNoFiber ? nullptr : &fiber(next), false);
  }
  DRPC_ASSERT(me.state == FiberState::kRunnable, "a parked fiber resumed without a wake");
  return me.wake_reason;
}

bool Scheduler::WakeOne(WaitQueue& queue) {
  DRPC_ASSERT(queue.object.run_serial == run_serial_, "Touch a queue before waking it");
  if (queue.size == 0) return false;
  FiberId target = queue.head;
  if (queue.size > 1) {
    candidates_.clear();
    for (FiberId id = queue.head; id != kNoFiber; id = fiber(id).queue_next) {
      candidates_.push_back(id);
    }
    DRPC_ASSERT(candidates_.size() == queue.size, "wait queue size is out of step with its links");
    target = candidates_[Ask(ChoiceKind::kSchedule, candidates_.size(), candidates_, kNoFiber,
                             /*picks_waiter=*/true)];
  }
  Wake(fiber(target), WakeReason::kNotified);
  return true;
}

uint32_t Scheduler::WakeAll(WaitQueue& queue) {
  DRPC_ASSERT(queue.object.run_serial == run_serial_, "Touch a queue before waking it");
  uint32_t woken = 0;
  // Each Wake unlinks the head, so this ends after `size` rounds.
  for (const uint32_t waiters = queue.size; woken < waiters; ++woken) {
    Wake(fiber(queue.head), WakeReason::kNotified);
  }
  DRPC_ASSERT(queue.size == 0 && queue.head == kNoFiber, "WakeAll left waiters behind");
  return woken;
}

void Scheduler::Wake(Fiber& f, WakeReason reason) {
  DRPC_ASSERT(f.state == FiberState::kBlocked, "waking a fiber that is not blocked");
  const uint32_t object = f.waiting_on != nullptr ? f.waiting_on->object.id : 0;
  if (f.waiting_on != nullptr) Unlink(*f.waiting_on, f);
  f.waiting_on = nullptr;
  ++f.wait_generation;  // its timer, if any, is now stale
  f.wake_reason = reason;
  f.state = FiberState::kRunnable;
  f.runnable_since = step_;
  runnable_.push_back(f.id);
  TraceEvent& event =
      NewEvent(reason == WakeReason::kTimeout ? EventType::kTimeout : EventType::kWake);
  event.fiber = running_;
  event.other = f.id;
  event.object = object;
  trace_.Close();
  if (StepObserver* observer = StepObserver::current()) {
    observer->OnUse(reason == WakeReason::kTimeout ? 0 : object);
  }
}

void Scheduler::Append(WaitQueue& queue, Fiber& f) {
  f.queue_prev = queue.tail;
  f.queue_next = kNoFiber;
  if (queue.tail != kNoFiber) {
    fiber(queue.tail).queue_next = f.id;
  } else {
    queue.head = f.id;
  }
  queue.tail = f.id;
  ++queue.size;
}

void Scheduler::Unlink(WaitQueue& queue, Fiber& f) {
  DRPC_ASSERT(queue.size > 0, "unlinking from an empty wait queue");
  if (f.queue_prev != kNoFiber) {
    fiber(f.queue_prev).queue_next = f.queue_next;
  } else {
    queue.head = f.queue_next;
  }
  if (f.queue_next != kNoFiber) {
    fiber(f.queue_next).queue_prev = f.queue_prev;
  } else {
    queue.tail = f.queue_prev;
  }
  f.queue_prev = f.queue_next = kNoFiber;
  --queue.size;
}

void Scheduler::RemoveRunnable(FiberId id) {
  auto it = std::find(runnable_.begin(), runnable_.end(), id);
  DRPC_ASSERT(it != runnable_.end(), "fiber is not in the run queue");
  runnable_.erase(it);
}

// ---------------------------------------------------------------- objects

uint32_t Scheduler::NewObject(StaticName kind, const char* name) {
  objects_.push_back(TraceNames::Object{kind.text(), name != nullptr ? name : "?"});
  const auto id = static_cast<uint32_t>(objects_.size());
  if (StepObserver* observer = StepObserver::current())
    observer->OnNewObject(id, objects_.back().name.c_str());
  return id;
}

uint32_t Scheduler::Touch(ObjectRef& ref, StaticName kind, const char* name) {
  if (ref.run_serial != run_serial_) {
    ref.run_serial = run_serial_;
    ref.id = NewObject(kind, name);
  }
  return ref.id;
}

uint32_t Scheduler::Touch(WaitQueue& queue, StaticName kind, const char* name) {
  if (queue.object.run_serial != run_serial_) {
    queue = WaitQueue{};
    queue.object.run_serial = run_serial_;
    queue.object.id = NewObject(kind, name);
  }
  return queue.object.id;
}

uint32_t Scheduler::host() const { return Running().host; }

void Scheduler::set_host(uint32_t host) { Running().host = host; }

void Scheduler::NoteLock(int delta) {
  Fiber& me = Running();
  DRPC_ASSERT(delta > 0 || me.locks_held > 0, "a fiber released more locks than it took");
  me.locks_held = static_cast<uint32_t>(static_cast<int64_t>(me.locks_held) + delta);
  if (StepObserver* observer = StepObserver::current()) observer->OnLock(me.id);
  // A task of a crashed host that held a lock dies as it lets go of the last.
  if (me.doomed && me.locks_held == 0) [[unlikely]] {
    DieNow(me);
  }
}

uint32_t Scheduler::KillHost(uint32_t host) {
  DRPC_ASSERT(host != 0, "host 0 is \"no host\": it cannot be killed");
  uint32_t killed = 0;
  for (uint32_t id = 1; id <= fiber_count_; ++id) {
    Fiber& f = fiber(id);
    if (f.host != host) continue;
    if (f.state != FiberState::kRunnable && f.state != FiberState::kBlocked) continue;
    // A task in the middle of a critical section finishes it first, as it
    // may hold a lock of what outlives the host (the world's, a link's):
    // running, runnable with a lock held, or waiting to take a further
    // mutex. A task PARKED on a condition or a timer is killed even with
    // locks held: the shared layers release their locks to wait, so what it
    // holds guards only its host's own state, which the crash freezes;
    // dooming it instead would leave it parked for ever (a handler waiting
    // in Recv under its stream's read lock).
    if (id == running_ ||
        (f.locks_held > 0 && (f.state == FiberState::kRunnable || AcquiringMutex(f)))) {
      f.doomed = true;
      continue;
    }
    Kill(f);
    ++killed;
  }
  return killed;
}

void Scheduler::Kill(Fiber& f) {
  if (f.state == FiberState::kBlocked) {
    if (f.waiting_on != nullptr) Unlink(*f.waiting_on, f);
    f.waiting_on = nullptr;
    ++f.wait_generation;  // its timer is stale
  } else {
    RemoveRunnable(f.id);
  }
  f.state = FiberState::kKilled;
  f.doomed = false;
  TraceEvent& event = NewEvent(EventType::kExit);
  event.fiber = f.id;
  event.object = f.exit_waiters.object.id;
  event.label = "killed (its host crashed)";
  trace_.Close();
  WakeAll(f.exit_waiters);
}

bool Scheduler::AcquiringMutex(const Fiber& f) {
  return f.state == FiberState::kBlocked && f.waiting_on != nullptr &&
         f.waiting_on->owner != kNoFiber;
}

void Scheduler::DieNow(Fiber& me) {
  DRPC_ASSERT(me.locks_held == 0 || (me.state == FiberState::kBlocked && !AcquiringMutex(me)),
              "a fiber died holding an rt mutex outside a park");
  running_ = kNoFiber;
  Kill(me);
  const FiberId next = PickNext();
  Transfer(&me, next == kNoFiber ? nullptr : &fiber(next), false);
  std::fprintf(stderr, "drpc sim: a killed fiber was resumed\n");
  std::abort();
}

uint64_t Scheduler::Choose(uint64_t n, ChoiceKind kind) {
  DRPC_ASSERT(n >= 1, "sim::Choose needs at least one option");
  DRPC_ASSERT(kind != ChoiceKind::kSchedule && kind != ChoiceKind::kTime,
              "sim::Choose is for net, fault and workload decisions; the scheduler makes "
              "schedule and time decisions itself");
  if (n == 1) return 0;
  return Ask(kind, n, {}, kNoFiber);
}

// ---------------------------------------------------------------- failing

void Scheduler::RecordFailure(Outcome outcome, std::string report) {
  if (failed_) return;  // the first failure is the one that matters
  failed_ = true;
  outcome_ = outcome;
  report_ = std::move(report);
  report_ += "\n  (";
  if (running_ != kNoFiber) {
    report_ += "in fiber #" + std::to_string(running_) + " " + Quote(fiber(running_).name) + ", ";
  }
  report_ += "step " + std::to_string(step_) + ", virtual time " + FormatTime(now_) + ")";
  TraceEvent& event = NewEvent(EventType::kFail);
  event.fiber = running_;
  event.value = static_cast<uint64_t>(outcome);
  trace_.Close();
}

void Scheduler::FailRunningFiber(Outcome outcome, std::string report) {
  if (running_ == kNoFiber) {
    // Not on a fiber: nothing to abandon, and nowhere to switch to.
    std::fprintf(stderr, "drpc sim: failure outside a fiber: %s\n", report.c_str());
    std::abort();
  }
  Fiber& me = fiber(running_);
  RecordFailure(outcome, std::move(report));
  me.state = FiberState::kAbandoned;
  Transfer(&me, nullptr, false);
  std::fprintf(stderr, "drpc sim: an abandoned fiber was resumed\n");
  std::abort();
}

std::vector<WaitingTask> Scheduler::Waiting() const {
  std::vector<WaitingTask> waiting;
  const TraceNames names = Names();
  for (uint32_t id = 1; id <= fiber_count_; ++id) {
    const Fiber& f = fiber(id);
    if (f.state != FiberState::kBlocked) continue;
    WaitingTask w;
    w.fiber = id;
    w.task = names.Fiber(id);
    w.on = f.waiting_on != nullptr ? names.ObjectText(f.waiting_on->object.id) : "a timer";
    if (f.waiting_on != nullptr && f.waiting_on->owner != kNoFiber) {
      const FiberId owner = f.waiting_on->owner;
      w.on += " held by " + names.Fiber(owner);
      if (fiber(owner).state == FiberState::kDone) w.on += " (which has exited)";
    }
    w.label = f.wait_label != nullptr ? f.wait_label : "?";
    w.deadline = f.deadline;
    waiting.push_back(std::move(w));
  }
  return waiting;
}

uint32_t Scheduler::LiveFibers() const {
  uint32_t live = 0;
  for (uint32_t id = 1; id <= fiber_count_; ++id) {
    // A killed fiber counts as exited (KillHost), as Task::join sees it.
    const FiberState state = fiber(id).state;
    live += state != FiberState::kDone && state != FiberState::kKilled;
  }
  return live;
}

void Scheduler::FailDeadlock() {
  std::string report = "deadlock: no fiber can run and no timer is pending";
  if (fiber(1).state == FiberState::kDone) {
    report += "; main has returned, leaving these fibers blocked";
  }
  for (const WaitingTask& w : Waiting()) report += "\n  " + w.ToString();
  RecordFailure(Outcome::kDeadlock, report);
}

// ---------------------------------------------------------------- results

TraceNames Scheduler::Names() const {
  TraceNames names;
  names.fibers.reserve(fiber_count_);
  for (uint32_t id = 1; id <= fiber_count_; ++id) names.fibers.push_back(fiber(id).name);
  names.objects = objects_;
  for (uint32_t id = 1; id <= fiber_count_; ++id) {
    const Fiber& f = fiber(id);
    DRPC_ASSERT(f.exit_waiters.object.run_serial == run_serial_, "a task's object is stale");
    names.objects[f.exit_waiters.object.id - 1].name = f.name;
  }
  return names;
}

RunResult Scheduler::EndRun() {
  for (uint32_t id = 1; id <= fiber_count_; ++id) {
    Fiber& f = fiber(id);
    if (f.state != FiberState::kDone) {
      DRPC_ASSERT(failed_ || f.state == FiberState::kKilled,
                  "a run ended ok with a fiber that did not exit");
      // No fiber of this run runs again, so nothing can reference these
      // frames any more: the stack is reused (its live part kept under LSan).
      if (f.state != FiberState::kKilled) {
        f.state = FiberState::kAbandoned;
        abandoned_ += f.stack.mapping != nullptr;
      }
      Reclaim(f);
    }
  }
  current_ = nullptr;
  RunResult result;
  result.outcome = outcome_;
  result.report = std::move(report_);
  result.trace_hash = trace_.hash();
  result.steps = step_;
  result.end_time = now_;
  result.fibers = fiber_count_;
  result.choice_log = std::move(choice_log_);
  result.exception = std::move(exception_);
  result.abandoned_stacks = abandoned_;
  if (failed_ || options_.keep_full_trace) {
    const TraceNames names = Names();
    if (failed_) {
      result.trace_tail = TraceHeader() + "\n";
      for (const TraceEvent& e : trace_.Tail()) result.trace_tail += FormatEvent(e, names) + "\n";
    }
    if (options_.keep_full_trace) {
      result.full_trace = TraceHeader() + "\n";
      result.event_hashes.reserve(trace_.all().size());
      for (const TraceEvent& e : trace_.all()) {
        result.full_trace += FormatEvent(e, names) + "\n";
        result.event_hashes.push_back(HashEvent(e));
      }
      result.events = trace_.all();
      result.trace_names = names;
    }
  }
  for (uint32_t id = 1; id <= fiber_count_; ++id) fiber(id).exit_waiters = WaitQueue{};
  return result;
}

}  // namespace drpc::sim
