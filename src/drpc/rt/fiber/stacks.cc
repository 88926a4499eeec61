#include "drpc/rt/fiber/stacks.h"

#include <atomic>
#include <mutex>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/fiber/sanitizers.h"

namespace drpc::rt::fiber {
namespace {

using drpc::fiber::FiberStack;

// Free stacks kept for reuse; more are unmapped. A reused stack keeps the
// pages its last fiber touched, so this also bounds that memory.
constexpr size_t kMaxFreeStacks = 256;

std::atomic<int> g_fail_maps{0};

struct Pool {
  std::mutex mu;
  std::vector<FiberStack> free;  // guarded by mu
};

Pool& ThePool() {
  static Pool* pool = new Pool();  // never destroyed: workers may run at exit
  return *pool;
}

bool InjectedFailure() {
  int fail = g_fail_maps.load(std::memory_order_relaxed);
  while (fail > 0) {
    if (g_fail_maps.compare_exchange_weak(fail, fail - 1)) return true;
  }
  return false;
}

}  // namespace

std::optional<FiberStack> AcquireStack() {
  if (InjectedFailure()) return std::nullopt;
  Pool& pool = ThePool();
  {
    std::lock_guard<std::mutex> guard(pool.mu);
    if (!pool.free.empty()) {
      FiberStack stack = pool.free.back();
      pool.free.pop_back();
      drpc::fiber::sanitizer::UnpoisonStack(stack.bottom, stack.usable_bytes);
      return stack;
    }
  }
  return drpc::fiber::MapStack(kStackBytes);
}

void ReleaseStack(const FiberStack& stack) {
  Pool& pool = ThePool();
  {
    std::lock_guard<std::mutex> guard(pool.mu);
    if (pool.free.size() < kMaxFreeStacks) {
      pool.free.push_back(stack);
      return;
    }
  }
  drpc::fiber::UnmapStack(stack);
}

void FailStackMapsForTesting(int count) { g_fail_maps.store(count); }

void LockStacksForFork() { ThePool().mu.lock(); }
void UnlockStacksAfterFork() { ThePool().mu.unlock(); }

}  // namespace drpc::rt::fiber
