#include "tests/common/counting_new.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};
thread_local bool t_not_counted = false;

void* CountedAllocate(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed) && !t_not_counted) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

}  // namespace

void* operator new(std::size_t n) { return CountedAllocate(n); }
void* operator new[](std::size_t n) { return CountedAllocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace drpc::testing {

void StartCountingAllocations() {
  g_allocations.store(0);
  g_counting.store(true);
}

uint64_t StopCountingAllocations() {
  g_counting.store(false);
  return g_allocations.load();
}

void DontCountAllocationsOnThisThread() { t_not_counted = true; }

}  // namespace drpc::testing
