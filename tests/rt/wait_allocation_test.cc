// The thread backend's waits record who waits on what (rt::WaitingTasks)
// and must not allocate to do it: a wait is on every message's path (a
// reader's socket read, a consumer's condvar). Counted by replacing the
// global operator new, so this test has a binary of its own.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "drpc/rt/task.h"
#include "drpc/rt/time.h"

namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

void* CountedAllocate(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
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

namespace drpc::rt {
namespace {

TEST(WaitAllocations, AWaitAllocatesNothingOnceItsThreadHasWaited) {
  uint64_t allocations = 0;
  // A name longer than the small-string buffer, as real task names are.
  spawn("client.c1.reader.a-name-longer-than-sso", [&] {
    sleep_for(Duration::zero());  // the first wait registers the thread's record
    g_counting.store(true);
    for (int i = 0; i < 100; ++i) sleep_for(Duration::zero());
    g_counting.store(false);
    allocations = g_allocations.load();
  }).join();
  EXPECT_EQ(allocations, 0u) << "100 waits";
}

}  // namespace
}  // namespace drpc::rt
