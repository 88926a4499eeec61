// The fiber backend's scheduler: task records, the worker threads that run
// them around the reactor, and parking. Internal to src/drpc/rt/fiber.
//
// A parker's state is one word, epoch << 2 | phase. Park bumps the epoch
// and enters kArming, runs `arm`, then switches to its worker, which moves
// kArming to kParked; a Wake moves kArming or kParked to kWoken, and only a
// Wake that finds kParked reschedules the fiber (from kArming the worker's
// own compare-exchange fails and it resumes the fiber at once). So a Wake
// may come from any thread at any moment after `arm` published the waker,
// even before the fiber has left its stack, and is never lost or doubled.
#pragma once

#include <atomic>
#include <boost/context/fiber.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "drpc/base/unique_function.h"
#include "drpc/fiber/stack_pool.h"
#include "drpc/rt/fiber/park.h"
#include "drpc/rt/internal/fiber_state.h"

namespace drpc::rt::fiber {

enum Phase : uint64_t { kIdle = 0, kArming = 1, kParked = 2, kWoken = 3 };

struct Parker {
  std::atomic<uint64_t> word{0};  // epoch << 2 | Phase
  TaskRecord* task = nullptr;     // null: a plain thread's parker (blocks on `word`)
  // For rt::WaitingTasks, guarded by the registry's lock (waits.cc).
  uint64_t id = 0;
  std::string name;
  bool in_use = false;
  std::atomic<const char*> wait_label{nullptr};
  std::atomic<const char*> wait_object{nullptr};
};

enum class SwitchReason : uint8_t { kPark, kYield, kDone };

// One task: a fiber on a pooled stack. Owned by its handle (rt::Task) and
// by its run until both let go; then recycled (never freed, see Waker).
struct TaskRecord : Parker {
  UniqueFunction<void()> body;
  drpc::fiber::FiberStack stack;
  boost::context::fiber context;  // the suspended fiber (empty while it runs)
  boost::context::fiber caller;   // the worker that resumed it (while it runs)
  SwitchReason reason = SwitchReason::kPark;
  uint64_t park_epoch = 0;
  void* asan_fake_stack = nullptr;
  const void* return_bottom = nullptr;  // the resuming worker's stack (ASan)
  size_t return_bytes = 0;
  void* tsan_fiber = nullptr;
  // Join: `done` once the body returned and the stack is back in the pool.
  detail::SpinLock join_lock;
  bool done = false;  // guarded by join_lock
  Waker joiner;       // guarded by join_lock
  std::atomic<int> refs{0};
  TaskRecord* next_free = nullptr;   // the registry's free list
  TaskRecord* next_ready = nullptr;  // the run queue (scheduler.cc), guarded by its lock
};

// A parked waiter in a mutex's or condvar's list (detail::WaitList).
struct WaitNode {
  Waker waker;
  WaitNode* prev = nullptr;
  WaitNode* next = nullptr;
  bool queued = false;
};

void PushBack(detail::WaitList& list, WaitNode* node);
WaitNode* PopFront(detail::WaitList& list);
void Remove(detail::WaitList& list, WaitNode* node);

// Starts `body` as a new fiber task; null when no stack could be mapped.
TaskRecord* StartTask(uint64_t id, std::string name, UniqueFunction<void()> body,
                      std::string& error);
// Drops the handle's reference (after the join saw `done`).
void ReleaseTask(TaskRecord* task);
// The running task's record, or null off the runtime's fibers.
TaskRecord* CurrentTask();
// Lets other ready fibers run (the caller is queued behind them).
void YieldFiber();
// The parker of the calling plain thread (made on first use).
Parker* ThreadParker();
// Number of worker threads (starts the runtime).
size_t WorkerCount();
// The caller's identity for mutex ownership checks: its task or thread.
const void* OwnerToken();

}  // namespace drpc::rt::fiber
