#include "drpc/fiber/stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "drpc/base/check.h"
#include "drpc/fiber/sanitizers.h"

namespace drpc::fiber {
namespace {

size_t PageBytes() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t RoundUpToPages(size_t bytes) {
  const size_t page = PageBytes();
  return (bytes + page - 1) / page * page;
}

// Where the live part [from, top) of a stack whose fiber never runs again
// starts (the whole stack if `live_from` is unknown).
const char* LiveFrom(const FiberStack& stack, const void* live_from) {
  const char* bottom = static_cast<const char*>(stack.bottom);
  const char* top = static_cast<const char*>(stack.top());
  const char* from = static_cast<const char*>(live_from);
  return from < bottom || from >= top ? bottom : from;  // unknown: all of it
}

// Copies of the live stacks of fibers that never run again (LSan builds only): heap blocks linked
// from a global, so LSan scans them as reachable for the life of the process.
struct Tomb {
  std::unique_ptr<uintptr_t[]> words;  // word-aligned like the stack, as LSan scans
  Tomb* next;
};
std::atomic<Tomb*> g_tombs{nullptr};

void Entomb(const char* from, const char* top) {
  from = reinterpret_cast<const char*>(reinterpret_cast<uintptr_t>(from) &
                                       ~uintptr_t{sizeof(uintptr_t) - 1});
  const size_t words = static_cast<size_t>(top - from) / sizeof(uintptr_t);
  Tomb* tomb =
      new Tomb{std::make_unique<uintptr_t[]>(words), g_tombs.load(std::memory_order_relaxed)};
  std::memcpy(tomb->words.get(), from, words * sizeof(uintptr_t));
  while (!g_tombs.compare_exchange_weak(tomb->next, tomb, std::memory_order_release,
                                        std::memory_order_relaxed)) {
  }
}

// Linux 6.13's guard regions (not in this system's headers yet): the page
// faults like PROT_NONE, but the mapping stays one VMA, so a stack costs one
// of the kernel's vm.max_map_count entries (65,530 by default) instead of
// two, and neighbouring stacks merge into one. That is what lets a process
// hold 10,000 idle connections of five or six fibers each (tests/idle).
constexpr int kMadviseGuardInstall = 102;  // MADV_GUARD_INSTALL

// Older kernels refuse the advice (EINVAL): the guard page is then a
// PROT_NONE mapping of its own, as before.
bool InstallGuardPage(void* page, size_t bytes) {
  return madvise(page, bytes, kMadviseGuardInstall) == 0 || mprotect(page, bytes, PROT_NONE) == 0;
}

}  // namespace

std::optional<FiberStack> MapStack(size_t usable_bytes) {
  const size_t guard = PageBytes();
  FiberStack stack;
  stack.mapping_bytes = usable_bytes + guard;
  stack.mapping = mmap(nullptr, stack.mapping_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (stack.mapping == MAP_FAILED) return std::nullopt;
  if (!InstallGuardPage(stack.mapping, guard)) {
    munmap(stack.mapping, stack.mapping_bytes);
    return std::nullopt;
  }
  stack.bottom = static_cast<char*>(stack.mapping) + guard;
  stack.usable_bytes = usable_bytes;
  return stack;
}

int MappingsPerStack() {
  static const int mappings = [] {
    const size_t page = PageBytes();
    void* probe =
        mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) return 2;
    const bool guard_regions = madvise(probe, page, kMadviseGuardInstall) == 0;
    munmap(probe, 2 * page);
    return guard_regions ? 1 : 2;
  }();
  return mappings;
}

void UnmapStack(const FiberStack& stack) {
  int rc = munmap(stack.mapping, stack.mapping_bytes);
  DRPC_ASSERT(rc == 0, "munmap of a fiber stack failed");
}

StackPool::~StackPool() {
  for (const FiberStack& stack : free_) UnmapStack(stack);
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
  std::optional<FiberStack> stack = MapStack(usable);
  DRPC_ASSERT(stack.has_value(),
              std::string("mmap of a fiber stack failed: ") + std::strerror(errno));
  ++mapped_total_;
  return *stack;
}

void StackPool::Release(const FiberStack& stack) {
  DRPC_ASSERT(stack.mapping != nullptr, "releasing a stack that was never acquired");
  if (free_.size() >= kMaxFree) {
    UnmapStack(stack);
    return;
  }
  free_.push_back(stack);
}

void StackPool::Reclaim(const FiberStack& stack, const void* live_from) {
  DRPC_ASSERT(stack.mapping != nullptr, "reclaiming a stack that was never acquired");
  if constexpr (sanitizer::kAsan) {
    // The frames' redzones are still poisoned; the copy reads through them
    // (the next fiber on this stack would unpoison it anyway).
    sanitizer::UnpoisonStack(stack.bottom, stack.usable_bytes);
    Entomb(LiveFrom(stack, live_from), static_cast<const char*>(stack.top()));
  }
  Release(stack);
}

}  // namespace drpc::fiber
