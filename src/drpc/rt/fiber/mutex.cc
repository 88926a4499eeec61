// rt::Mutex on fibers: an atomic flag taken without a system call when
// free; a contended lock parks the task (a fiber's worker runs other fibers
// meanwhile; a plain thread blocks) instead of blocking a worker on an OS
// lock. unlock wakes the oldest waiter, which then competes for the flag
// again (no hand-off: a running task may take it first, which keeps a busy
// lock from convoying). In checked builds the owner is tracked so that a
// recursive lock, an unlock by another task and a wait without the lock stop
// with the mutex's name.
#include "drpc/rt/mutex.h"

#include <mutex>
#include <string>

#include "drpc/base/check.h"
#include "drpc/rt/fiber/scheduler.h"

namespace drpc::rt {

Mutex::Mutex(const char* name) : name_(name) {
  DRPC_ASSERT(name != nullptr, "a mutex needs a name");
}

Mutex::~Mutex() {
#if DRPC_CHECKED
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) == nullptr,
              std::string("mutex '") + name_ + "' destroyed while locked");
#endif
}

void Mutex::lock() {
#if DRPC_CHECKED
  const void* me = fiber::OwnerToken();
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) != me,
              std::string("recursive lock of mutex '") + name_ + "' (self-deadlock)");
#endif
  if (state_.locked.exchange(true, std::memory_order_acquire)) {
    for (;;) {
      // Counted before trying again, so an unlock that finds the flag's old
      // value also finds the count (both seq_cst) and wakes someone.
      state_.waiters.fetch_add(1);
      state_.spin.lock();
      if (!state_.locked.exchange(true)) {
        state_.spin.unlock();
        state_.waiters.fetch_sub(1);
        break;
      }
      fiber::WaitNode node;
      fiber::ParkLabeled("mutex.lock", name_, [&](fiber::Waker waker) {
        node.waker = waker;
        fiber::PushBack(state_.queue, &node);
        state_.spin.unlock();
      });
      state_.waiters.fetch_sub(1);
      if (!state_.locked.exchange(true, std::memory_order_acquire)) break;
    }
  }
#if DRPC_CHECKED
  state_.owner.store(me, std::memory_order_relaxed);
#endif
}

bool Mutex::try_lock() {
#if DRPC_CHECKED
  const void* me = fiber::OwnerToken();
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) != me,
              std::string("try_lock of mutex '") + name_ + "' by the thread holding it");
#endif
  if (state_.locked.exchange(true, std::memory_order_acquire)) return false;
#if DRPC_CHECKED
  state_.owner.store(me, std::memory_order_relaxed);
#endif
  return true;
}

void Mutex::unlock() {
#if DRPC_CHECKED
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) == fiber::OwnerToken(),
              std::string("unlock of mutex '") + name_ + "' by a thread that does not hold it");
  state_.owner.store(nullptr, std::memory_order_relaxed);
#endif
  state_.locked.store(false);
  if (state_.waiters.load() == 0) return;
  fiber::Waker waker;
  {
    std::lock_guard<detail::SpinLock> guard(state_.spin);
    if (fiber::WaitNode* node = fiber::PopFront(state_.queue)) waker = node->waker;
  }
  waker.Wake();
}

}  // namespace drpc::rt
