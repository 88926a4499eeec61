#include "sim/sched/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "drpc/base/check.h"
#include "sim/sched/sanitizers.h"

namespace drpc::sim {
namespace {

std::atomic<uint64_t> g_quarantined{0};

size_t PageBytes() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUpToPages(size_t bytes) {
  const size_t page = PageBytes();
  return (bytes + page - 1) / page * page;
}

void Unmap(const FiberStack& stack) {
  int rc = munmap(stack.mapping, stack.mapping_bytes);
  DRPC_ASSERT(rc == 0, "munmap of a fiber stack failed");
}

}  // namespace

StackPool::~StackPool() {
  for (const FiberStack& stack : free_) Unmap(stack);
}

StackPool& StackPool::ForThisThread() {
  thread_local StackPool pool;
  return pool;
}

FiberStack StackPool::Acquire(size_t usable_bytes) {
  DRPC_ASSERT(
      usable_bytes >= kMinStackBytes && usable_bytes <= kMaxStackBytes,
      "fiber stack size must be between 16 KiB and 64 MiB, got " + std::to_string(usable_bytes));
  const size_t usable = RoundUpToPages(usable_bytes);
  for (size_t i = free_.size(); i > 0; --i) {
    if (free_[i - 1].usable_bytes != usable) continue;
    FiberStack stack = free_[i - 1];
    free_.erase(free_.begin() + static_cast<ptrdiff_t>(i - 1));
    sanitizer::UnpoisonStack(stack.bottom, stack.usable_bytes);
    return stack;
  }
  const size_t guard = PageBytes();
  FiberStack stack;
  stack.mapping_bytes = usable + guard;
  stack.mapping = mmap(nullptr, stack.mapping_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  DRPC_ASSERT(stack.mapping != MAP_FAILED,
              std::string("mmap of a fiber stack failed: ") + std::strerror(errno));
  int rc = mprotect(stack.mapping, guard, PROT_NONE);
  DRPC_ASSERT(rc == 0, "mprotect of a fiber stack guard page failed");
  stack.bottom = static_cast<char*>(stack.mapping) + guard;
  stack.usable_bytes = usable;
  ++mapped_total_;
  return stack;
}

void StackPool::Release(const FiberStack& stack) {
  DRPC_ASSERT(stack.mapping != nullptr, "releasing a stack that was never acquired");
  if (free_.size() >= kMaxFree) {
    Unmap(stack);
    return;
  }
  free_.push_back(stack);
}

void StackPool::Quarantine(const FiberStack& stack, const void* live_from) {
  DRPC_ASSERT(stack.mapping != nullptr, "quarantining a stack that was never acquired");
  g_quarantined.fetch_add(1, std::memory_order_relaxed);
  if constexpr (sanitizer::kAsan) {
    const char* bottom = static_cast<const char*>(stack.bottom);
    const char* top = static_cast<const char*>(stack.top());
    const char* from = static_cast<const char*>(live_from);
    if (from < bottom || from >= top) from = bottom;  // unknown: scan it all
    sanitizer::RegisterRootRegion(from, static_cast<size_t>(top - from));
  } else {
    // Nothing will run on or read this stack again; keep the address range
    // reserved (objects there may still be pointed at) but drop the pages.
    madvise(stack.bottom, stack.usable_bytes, MADV_DONTNEED);
  }
}

uint64_t StackPool::QuarantinedTotal() { return g_quarantined.load(std::memory_order_relaxed); }

}  // namespace drpc::sim
