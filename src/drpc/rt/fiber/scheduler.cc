// The fiber backend's scheduler (scheduler.h): a fixed set of worker threads
// share one run queue of ready fibers and one Boost.Asio io_context, used
// only as the reactor (sockets, timers). A worker runs queued fibers; with
// none queued it becomes the one worker that waits in the reactor (the
// poller), or sleeps if another already does. Why not asio as the run queue
// too, and when a sleeping worker is woken: docs/rt.md, "The fiber
// backend". Besides the queue, each worker has one slot for the task its
// running fiber woke first (Schedule), and a reactor completion runs the
// task it wakes in place (Waker::WakeHere): the common hand-offs skip the
// queue and wake nobody.
#include "drpc/rt/fiber/scheduler.h"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/fiber/sanitizers.h"
#include "drpc/rt/fiber/handler_slot.h"
#include "drpc/rt/fiber/registry.h"
#include "drpc/rt/fiber/stacks.h"

namespace drpc::rt::fiber {
namespace sanitizer = ::drpc::fiber::sanitizer;
namespace {

constexpr size_t kMaxWorkers = 1024;

struct ThreadState;

using Clock = std::chrono::steady_clock;

// The watch (WorkerMain, ReleasePoller): while the process is busy (a
// poller left the reactor to run a fiber within kBusyWindow), one sleeping
// worker wakes every kWatchTick, doubling while it finds nothing to do up
// to kWatchTickMax (a busy process pays ~100 watch wakes a second, not
// 1,000; Go's sysmon polls the network after 10 ms without a poll), and
// takes the free reactor only if the pollers spent less than
// 1/kStarvedShare of its last wait in it: a fiber that never parks, or
// more work than one worker keeps up with.
constexpr Clock::duration kWatchTick = std::chrono::milliseconds(1);
constexpr Clock::duration kWatchTickMax = std::chrono::milliseconds(8);
constexpr int64_t kStarvedShare = 4;
constexpr Clock::duration kBusyWindow = std::chrono::milliseconds(10);
// A worker running queued fibers looks at the reactor (without blocking)
// after this many when nobody waits in it, so I/O is not starved by tasks
// that keep yielding.
constexpr uint32_t kPollEveryTasks = 61;

struct Runtime {
  explicit Runtime(size_t n) : io(static_cast<int>(n)), workers(n) {}
  // Only the poller runs it (at most one worker blocks in it at a time; a
  // second may finish a handler there after it handed the reactor on).
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  size_t workers;

  std::mutex mu;               // guards everything below
  TaskRecord* head = nullptr;  // ready fibers, FIFO through next_ready
  TaskRecord* tail = nullptr;
  std::condition_variable idle;  // sleeping workers wait here for `wakes`
  size_t sleepers = 0;
  size_t wakes = 0;                     // granted to sleepers, not yet taken
  const ThreadState* poller = nullptr;  // the worker waiting in the reactor
  bool interrupt_pending = false;       // a no-op is on its way to the poller
  bool watching = false;                // a sleeper is on watch (waits with a timeout)
  size_t watch_wakes = 0;               // of `wakes`, granted to start a watch
  Clock::time_point last_release{};     // a poller last left to run a fiber
  Clock::time_point last_watch_wake{};
  Clock::time_point poll_since{};  // the poller's arrival in the reactor
  Clock::duration polled{};        // time spent by pollers in the reactor, up to the last release

  void PushLocked(TaskRecord* task) {
    task->next_ready = nullptr;
    if (tail == nullptr) {
      head = task;
    } else {
      tail->next_ready = task;
    }
    tail = task;
  }
  TaskRecord* PopLocked() {
    TaskRecord* task = head;
    if (task == nullptr) return nullptr;
    head = task->next_ready;
    if (head == nullptr) tail = nullptr;
    task->next_ready = nullptr;
    return task;
  }
  // Grants a wake to a sleeping worker, if one sleeps without one.
  bool WakeSleeperLocked() {
    if (sleepers <= wakes) return false;
    ++wakes;
    idle.notify_one();
    return true;
  }
  // Time spent by pollers in the reactor up to `now`.
  Clock::duration PolledUntilLocked(Clock::time_point now) const {
    return poller == nullptr ? polled : polled + (now - poll_since);
  }
};

std::atomic<Runtime*> g_runtime{nullptr};
std::mutex g_start_mu;  // guards starting the runtime

// Per-thread state. Read only through the noinline accessors below: a fiber
// may resume on another thread, and a compiler may otherwise keep the
// address of a thread_local from before a switch.
struct ThreadState {
  bool worker = false;
  TaskRecord* running = nullptr;  // the fiber this worker runs now
  // A task the running fiber woke, run by this worker as soon as that fiber
  // switches out (Schedule, Resume).
  TaskRecord* run_next = nullptr;
  void* asan_fake_stack = nullptr;
  void* tsan_fiber = nullptr;
};
thread_local ThreadState t_state;

[[gnu::noinline]] ThreadState& This() {
  ThreadState* s = &t_state;
  asm volatile("" : "+r"(s));  // no caching of the address across calls
  return *s;
}

size_t ConfiguredWorkers() {
  if (const char* env = std::getenv("DRPC_RT_WORKERS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const unsigned long n = std::strtoul(env, &end, 10);
    if (end != nullptr && *end == '\0' && n >= 1 && n <= kMaxWorkers) return n;
    std::fprintf(stderr, "drpc rt: DRPC_RT_WORKERS=%s is not a count in 1..%zu; using cores\n", env,
                 kMaxWorkers);
  }
  const size_t cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : std::min(cores, kMaxWorkers);
}

void Resume(TaskRecord* task);
void PollReactor(Runtime& runtime, ThreadState& s, bool block);

// A worker: the queue first; with nothing queued, the reactor if nobody
// waits in it; else sleep until a wake is granted (Enqueue) or, on watch,
// until the tick.
void WorkerMain(Runtime* runtime) {
  ThreadState& s = This();
  s.worker = true;
  s.tsan_fiber = sanitizer::TsanCurrentFiber();
  Runtime& rt = *runtime;
  uint32_t tasks_since_poll = 0;
  // False after a wake from the watch (ReleasePoller's, or a watch that
  // timed out): the reactor is then taken only if polling was starved.
  bool may_take_reactor = true;
  Clock::duration watch_wait = kWatchTick;
  std::unique_lock<std::mutex> lock(rt.mu);
  for (;;) {
    if (TaskRecord* task = rt.PopLocked()) {
      may_take_reactor = true;
      // More is ready than this worker takes: let a sleeping one help.
      if (rt.head != nullptr) rt.WakeSleeperLocked();
      lock.unlock();
      Resume(task);
      if (++tasks_since_poll >= kPollEveryTasks) {
        tasks_since_poll = 0;
        PollReactor(rt, s, /*block=*/false);
      }
      lock.lock();
      continue;
    }
    if (rt.poller == nullptr && may_take_reactor) {
      lock.unlock();
      tasks_since_poll = 0;
      PollReactor(rt, s, /*block=*/true);
      lock.lock();
      continue;
    }
    ++rt.sleepers;
    const Clock::time_point now = Clock::now();
    const bool watch = !rt.watching && (now - rt.last_release < kBusyWindow ||
                                        (!may_take_reactor && rt.poller == nullptr));
    bool woken = true;
    if (watch) {
      rt.watching = true;
      const Clock::duration polled_before = rt.PolledUntilLocked(now);
      woken = rt.idle.wait_for(lock, watch_wait, [&] { return rt.wakes > 0; });
      rt.watching = false;
      if (!woken) {
        // The watch: join only if the workers hardly looked at the reactor
        // meanwhile (a fiber that never parks, or more work than the
        // pollers keep up with). A poller that leaves at every completion
        // and is back within microseconds, waiting for the peer, is not
        // starved: taking the reactor from it would move its connection's
        // reader to another thread and core at every tick (a split-process
        // 64 KiB stream ran at 0.7x the thread backend's rate for that).
        const Clock::time_point later = Clock::now();
        const bool starved =
            (rt.PolledUntilLocked(later) - polled_before) * kStarvedShare < later - now;
        may_take_reactor = starved;
        watch_wait = starved ? kWatchTick : std::min(2 * watch_wait, kWatchTickMax);
      }
    } else {
      rt.idle.wait(lock, [&] { return rt.wakes > 0; });
    }
    if (woken) {
      --rt.wakes;
      watch_wait = kWatchTick;
      may_take_reactor = true;
      if (rt.watch_wakes > 0) {
        --rt.watch_wakes;
        may_take_reactor = false;
      }
    }
    --rt.sleepers;
  }
}

void ForkPrepare();
void ForkParent();
void ForkChild();

Runtime& Start() {
  std::lock_guard<std::mutex> guard(g_start_mu);
  if (Runtime* r = g_runtime.load(std::memory_order_acquire)) return *r;
  static const bool fork_handlers = [] {
    return ::pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild) == 0;
  }();
  DRPC_ASSERT(fork_handlers, "pthread_atfork failed");
  // Never destroyed: the workers run until the process exits, and a test
  // returns from main with them parked in the reactor.
  auto* runtime = new Runtime(ConfiguredWorkers());
  for (size_t i = 0; i < runtime->workers; ++i) {
    try {
      std::thread(WorkerMain, runtime).detach();
    } catch (const std::system_error& e) {
      DRPC_ASSERT(i > 0, std::string("rt: cannot start a worker thread: ") + e.what());
      runtime->workers = i;  // run with fewer
      break;
    }
  }
  g_runtime.store(runtime, std::memory_order_release);
  return *runtime;
}

Runtime& TheRuntime() {
  if (Runtime* r = g_runtime.load(std::memory_order_acquire)) return *r;
  return Start();
}

// The fork handlers keep every lock a child could need consistent (held
// across fork, released on both sides). The child has none of the parent's
// threads, so it forgets the parent's runtime (leaked, never touched again:
// its reactor's descriptors are shared with the parent) and starts its own
// on first use, as the thread backend's child empties its thread cache.
void ForkPrepare() {
  g_start_mu.lock();
  LockRegistryForFork();
  LockStacksForFork();
}
void ForkParent() {
  UnlockStacksAfterFork();
  UnlockRegistryAfterFork();
  g_start_mu.unlock();
}
void ForkChild() {
  UnlockStacksAfterFork();
  UnlockRegistryAfterFork();
  g_runtime.store(nullptr, std::memory_order_relaxed);
  This().worker = false;
  This().running = nullptr;
  This().run_next = nullptr;
  g_start_mu.unlock();
}

// Boost.Context's stack allocator for one of our stacks: the scheduler
// recycles stacks itself (a fiber never returns into Boost).
class PooledStack {
 public:
  explicit PooledStack(const drpc::fiber::FiberStack& stack) : stack_(stack) {}
  boost::context::stack_context allocate() {
    boost::context::stack_context context;
    context.size = stack_.usable_bytes;
    context.sp = stack_.top();
    return context;
  }
  void deallocate(boost::context::stack_context&) noexcept {
    std::fprintf(stderr, "drpc rt: Boost tried to free a fiber stack the runtime owns\n");
    std::abort();
  }

 private:
  drpc::fiber::FiberStack stack_;
};

// Drops a finished fiber's context without unwinding it (it is parked for
// good in its final switch; nothing is left to unwind).
void Forget(boost::context::fiber&& context) {
  union Holder {
    Holder() {}
    ~Holder() {}
    boost::context::fiber fiber;
  } holder;
  new (&holder.fiber) boost::context::fiber(std::move(context));
}

void Schedule(TaskRecord* task);
void Enqueue(TaskRecord* task);

// Direct hand-offs (a fiber woken by the fiber before it) one Resume makes
// before it queues the next one: the reactor and the queue get a turn even
// when two fibers keep waking each other on one worker.
constexpr int kMaxHandOffs = 8;

// On the fiber: hands control back to the worker that resumed it. Returns
// when some worker resumes it again.
DRPC_FIBER_NO_ASAN void SwitchOut(TaskRecord* task, bool finished) {
  ThreadState& s = This();
  sanitizer::StartSwitch(finished ? nullptr : &task->asan_fake_stack, task->return_bottom,
                         task->return_bytes);
  sanitizer::TsanSwitchTo(s.tsan_fiber);
  task->caller = std::move(task->caller).resume();
  sanitizer::FinishSwitch(task->asan_fake_stack, &task->return_bottom, &task->return_bytes);
}

// A fiber's whole life on its own stack; it never returns into Boost.
DRPC_FIBER_NO_ASAN void FiberMain(TaskRecord* task, boost::context::fiber&& caller) {
  sanitizer::FinishSwitch(nullptr, &task->return_bottom, &task->return_bytes);
  task->caller = std::move(caller);
  {
    // The body lives on the fiber's stack; its captures die before the
    // task counts as finished, as a std::thread's callable does.
    UniqueFunction<void()> body = std::move(task->body);
    body();
  }
  task->reason = SwitchReason::kDone;
  SwitchOut(task, /*finished=*/true);
  std::fprintf(stderr, "drpc rt: a finished fiber was resumed\n");
  std::abort();
}

void Finish(TaskRecord* task) {
  Forget(std::move(task->context));
  ReleaseStack(task->stack);
  task->stack = drpc::fiber::FiberStack{};
  sanitizer::TsanDestroyFiber(task->tsan_fiber);
  task->tsan_fiber = nullptr;
  Waker joiner;
  {
    std::lock_guard<detail::SpinLock> guard(task->join_lock);
    task->done = true;
    joiner = task->joiner;
  }
  joiner.Wake();
  ReleaseTask(task);
}

// On a worker: runs `task` until it parks, yields or ends.
DRPC_FIBER_NO_ASAN void Resume(TaskRecord* task) {
  ThreadState& s = This();
  for (int hand_offs = 0;; ++hand_offs) {
    s.running = task;
    const bool first_run = !task->context;
    if (first_run) task->tsan_fiber = sanitizer::TsanCreateFiber();
    sanitizer::StartSwitch(&s.asan_fake_stack, task->stack.bottom, task->stack.usable_bytes);
    sanitizer::TsanSwitchTo(task->tsan_fiber);
    if (first_run) {
      // Made inside the annotated switch: creating a Boost fiber already
      // runs the start of its entry on the new stack.
      task->context =
          boost::context::fiber(std::allocator_arg, PooledStack(task->stack),
                                [task](boost::context::fiber&& caller) -> boost::context::fiber {
                                  FiberMain(task, std::move(caller));
                                  return {};
                                });
    }
    task->context = std::move(task->context).resume();
    sanitizer::FinishSwitch(s.asan_fake_stack, nullptr, nullptr);
    s.running = nullptr;
    switch (task->reason) {
      case SwitchReason::kPark: {
        uint64_t expected = (task->park_epoch << 2) | kArming;
        if (!task->word.compare_exchange_strong(expected, (task->park_epoch << 2) | kParked,
                                                std::memory_order_acq_rel,
                                                std::memory_order_acquire)) {
          // Woken before it got off its stack: run it again now (a task it
          // woke, if any, stays next).
          continue;
        }
        break;  // parked: its Waker schedules it (possibly already, elsewhere)
      }
      case SwitchReason::kYield:
        Enqueue(task);
        break;
      case SwitchReason::kDone:
        Finish(task);
        break;
    }
    TaskRecord* next = std::exchange(s.run_next, nullptr);
    if (next == nullptr) return;
    if (hand_offs >= kMaxHandOffs) {
      Enqueue(next);
      return;
    }
    task = next;
  }
}

// The no-op that wakes the poller out of the reactor when a task is queued
// and no worker sleeps. At most one is pending (interrupt_pending), so it
// lives in one static slot and never allocates.
HandlerSlot g_interrupt_slot;

struct InterruptHandler {
  Runtime* runtime;
  using allocator_type = SlotAllocator<void>;
  allocator_type get_allocator() const noexcept { return allocator_type(&g_interrupt_slot); }
  void operator()() const {
    std::lock_guard<std::mutex> guard(runtime->mu);
    runtime->interrupt_pending = false;
  }
};

// Queues a ready task. A worker between fibers (its loop, a reactor
// handler, Resume) takes the queue's head itself next, so it wakes nobody:
// as asio's defer, the task runs on the same warm thread. Anyone else (a
// fiber, a plain thread) grants a sleeping worker a wake; with none asleep,
// the poller is interrupted, since the others are busy running fibers and
// the poller would otherwise sit in the reactor beside a ready task.
void Enqueue(TaskRecord* task) {
  Runtime& rt = TheRuntime();
  const ThreadState& s = This();
  const bool taken_by_this_worker = s.worker && s.running == nullptr;
  std::unique_lock<std::mutex> lock(rt.mu);
  rt.PushLocked(task);
  if (taken_by_this_worker || rt.WakeSleeperLocked()) return;
  if (rt.poller == nullptr || rt.interrupt_pending) return;
  rt.interrupt_pending = true;
  lock.unlock();
  boost::asio::post(rt.io, InterruptHandler{&rt});
}

// Worker `s` leaves the reactor to run fibers (from a handler, WakeHere, or
// back in its loop): the reactor is free for another worker until this one
// has none to run. Nobody is woken for it (that wake per completion is what
// this scheduler exists to avoid: a ping-pong would wake the other worker
// at every message), except at most once per kWatchTick when no sleeper is
// already on watch, so a fiber that computes for long, or never parks,
// cannot keep every socket and timer waiting.
void ReleasePoller(const ThreadState& s) {
  Runtime& rt = TheRuntime();
  std::lock_guard<std::mutex> guard(rt.mu);
  // Already let go (a completion ran a fiber in place, then PollReactor
  // returned): once per leaving.
  if (rt.poller != &s) return;
  rt.poller = nullptr;
  const Clock::time_point now = Clock::now();
  rt.polled += now - rt.poll_since;
  rt.last_release = now;
  if (!rt.watching && now - rt.last_watch_wake >= kWatchTick && rt.WakeSleeperLocked()) {
    rt.last_watch_wake = now;
    ++rt.watch_wakes;
  }
}

// Waits in the reactor (`block`) or looks at it once, as the poller; a
// worker that leaves it to run a fiber (ReleasePoller) may have handed the
// role on meanwhile.
void PollReactor(Runtime& rt, ThreadState& s, bool block) {
  {
    std::lock_guard<std::mutex> guard(rt.mu);
    if (rt.poller != nullptr) return;
    rt.poller = &s;
    rt.poll_since = Clock::now();
  }
  if (block) {
    rt.io.run_one();
  } else {
    rt.io.poll();
  }
  ReleasePoller(s);  // back to the queue, whose fibers may run for long
}

// The first task a fiber wakes in one slice is kept for this worker, which
// runs it as soon as the waker switches out, as Go's runnext slot does: a
// connection's reader that wakes the caller a reply is for and then parks
// on its socket passes its worker on, without the queue's lock and without
// waking a sleeping worker. The price: the woken task waits for the rest of
// the waker's slice even if another worker is idle, so only the first wake
// is kept; later ones are queued, and a sleeping worker is woken for them.
void Schedule(TaskRecord* task) {
  ThreadState& s = This();
  if (s.worker && s.running != nullptr && s.run_next == nullptr) {
    s.run_next = task;
    return;
  }
  Enqueue(task);
}

}  // namespace

boost::asio::io_context& Io() { return TheRuntime().io; }

size_t WorkerCount() { return TheRuntime().workers; }

TaskRecord* CurrentTask() { return This().running; }

bool OnFiber() { return CurrentTask() != nullptr; }

const void* OwnerToken() {
  if (TaskRecord* task = CurrentTask()) return task;
  return ThreadParker();
}

TaskRecord* Waker::Claim() const {
  if (parker_ == nullptr) return nullptr;
  uint64_t word = parker_->word.load(std::memory_order_acquire);
  for (;;) {
    if ((word >> 2) != epoch_) return nullptr;  // a Park that has ended
    const uint64_t phase = word & 3;
    if (phase == kWoken || phase == kIdle) return nullptr;
    if (parker_->word.compare_exchange_weak(word, (epoch_ << 2) | kWoken, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
      if (parker_->task == nullptr) {
        parker_->word.notify_all();
        return nullptr;
      }
      return phase == kParked ? parker_->task : nullptr;
    }
  }
}

void Waker::Wake() const {
  if (TaskRecord* task = Claim()) Schedule(task);
}

void Waker::WakeHere() const {
  TaskRecord* task = Claim();
  if (task == nullptr) return;
  // Handlers run from the worker's loop, never inside Resume: no nesting.
  const ThreadState& s = This();
  if (s.worker && s.running == nullptr) {
    ReleasePoller(s);
    Resume(task);
  } else {
    Schedule(task);
  }
}

void Park(FunctionRef<void(Waker)> arm) {
  TaskRecord* task = CurrentTask();
  if (task == nullptr) {
    DRPC_ASSERT(!This().worker,
                "rt: a reactor handler parked (handlers run on a worker and must not block)");
    Parker* parker = ThreadParker();
    const uint64_t epoch = (parker->word.load(std::memory_order_relaxed) >> 2) + 1;
    parker->word.store((epoch << 2) | kArming, std::memory_order_release);
    arm(Waker(parker, epoch));
    for (;;) {
      const uint64_t word = parker->word.load(std::memory_order_acquire);
      if ((word & 3) == kWoken) break;
      parker->word.wait(word, std::memory_order_acquire);
    }
    return;
  }
  const uint64_t epoch = (task->word.load(std::memory_order_relaxed) >> 2) + 1;
  task->park_epoch = epoch;
  task->word.store((epoch << 2) | kArming, std::memory_order_release);
  arm(Waker(task, epoch));
  task->reason = SwitchReason::kPark;
  SwitchOut(task, /*finished=*/false);
}

void ParkLabeled(const char* label, const char* object, FunctionRef<void(Waker)> arm) {
  Parker* parker = CurrentTask();
  if (parker == nullptr) parker = ThreadParker();
  parker->wait_object.store(object, std::memory_order_relaxed);
  parker->wait_label.store(label, std::memory_order_relaxed);
  Park(arm);
  parker->wait_label.store(nullptr, std::memory_order_relaxed);
}

void YieldFiber() {
  TaskRecord* task = CurrentTask();
  if (task == nullptr) {
    std::this_thread::yield();
    return;
  }
  task->reason = SwitchReason::kYield;
  SwitchOut(task, /*finished=*/false);
}

TaskRecord* StartTask(uint64_t id, std::string name, UniqueFunction<void()> body,
                      std::string& error) {
  std::optional<drpc::fiber::FiberStack> stack = AcquireStack();
  if (!stack) {
    error = "cannot map a fiber stack for task '" + name + "'";
    return nullptr;
  }
  TheRuntime();  // before the record: a child after fork starts fresh
  TaskRecord* task = NewTaskRecord(id, std::move(name));
  task->body = std::move(body);
  task->stack = *stack;
  task->reason = SwitchReason::kPark;
  task->done = false;
  task->joiner = Waker();
  task->asan_fake_stack = nullptr;
  task->refs.store(2, std::memory_order_relaxed);  // the handle and the run
  Enqueue(task);
  return task;
}

void ReleaseTask(TaskRecord* task) {
  if (task->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) RecycleTaskRecord(task);
}

}  // namespace drpc::rt::fiber
