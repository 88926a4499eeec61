// rt::Mutex on std::mutex. In checked builds the owner is tracked so that a
// recursive lock, an unlock by another thread and a wait without the lock
// stop with the mutex's name instead of hanging or corrupting silently.
#include "drpc/rt/mutex.h"

#include <string>
#include <thread>

#include "drpc/base/check.h"

namespace drpc::rt {

Mutex::Mutex(const char* name) : name_(name) {
  DRPC_ASSERT(name != nullptr, "a mutex needs a name");
}

Mutex::~Mutex() {
#if DRPC_CHECKED
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) == std::thread::id(),
              std::string("mutex '") + name_ + "' destroyed while locked");
#endif
}

void Mutex::lock() {
#if DRPC_CHECKED
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) != std::this_thread::get_id(),
              std::string("recursive lock of mutex '") + name_ + "' (self-deadlock)");
#endif
  state_.mu.lock();
#if DRPC_CHECKED
  state_.owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
}

bool Mutex::try_lock() {
#if DRPC_CHECKED
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) != std::this_thread::get_id(),
              std::string("try_lock of mutex '") + name_ + "' by the thread holding it");
#endif
  if (!state_.mu.try_lock()) return false;
#if DRPC_CHECKED
  state_.owner.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
  return true;
}

void Mutex::unlock() {
#if DRPC_CHECKED
  DRPC_ASSERT(state_.owner.load(std::memory_order_relaxed) == std::this_thread::get_id(),
              std::string("unlock of mutex '") + name_ + "' by a thread that does not hold it");
  state_.owner.store(std::thread::id(), std::memory_order_relaxed);
#endif
  state_.mu.unlock();
}

}  // namespace drpc::rt
