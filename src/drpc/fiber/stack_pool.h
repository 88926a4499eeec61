// Fiber stacks: mmap'd, with a guard page below each one (stacks
// grow down), so a fiber that overflows its stack crashes at once with
// SIGSEGV instead of silently corrupting its neighbour.
//
// Mapping a stack costs two system calls and page faults on first touch,
// which would dominate a run of a few microseconds, so stacks are pooled per
// thread and reused run after run (ASan poisoning left by the previous fiber
// is cleared on reuse).
//
// A fiber that never runs again (left parked by a failed run, or killed by
// a host crash) is never unwound: unwinding could run destructors in states
// they were never meant to see. Once its run is over nothing can reference
// its frames (no fiber of the run runs again; objects a run uses live inside
// it), so its stack is reclaimed: reused like a finished fiber's. What its
// frames owned stays owned, never destroyed: under LeakSanitizer the live
// part of the stack is first copied to a heap block kept for the life of the
// process, so heap objects only those frames point to stay reachable (a
// failure or a crash freezes them; it does not leak them). A process may
// thus run any number of failing, deadlocking or crashing runs with a
// bounded number of mappings. (Before, such stacks were quarantined: never
// reused, two mappings each for good, and a sweep over thousands of
// deadlocking seeds hit the kernel's map limit.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace drpc::fiber {

struct FiberStack {
  void* mapping = nullptr;  // start of the mapping (the guard page)
  size_t mapping_bytes = 0;
  void* bottom = nullptr;  // lowest usable address, just above the guard page
  size_t usable_bytes = 0;
  // ASan's fake stack of the last fiber that finished on this stack, handed
  // to the next one (see Scheduler::FiberMain). Null without ASan.
  void* asan_fake_stack = nullptr;
  void* top() const { return static_cast<char*>(bottom) + usable_bytes; }
};

// A stack of `usable_bytes` (a multiple of the page size) above its guard
// page, or nullopt when the kernel refuses the mapping (address space, map
// count): the caller decides whether that is fatal.
std::optional<FiberStack> MapStack(size_t usable_bytes);
void UnmapStack(const FiberStack& stack);
// Entries of the kernel's vm.max_map_count a mapped stack takes, at most: 1
// where the kernel has guard regions (Linux 6.13+; the guard page does not
// split the mapping), 2 where the guard page is a PROT_NONE mapping.
int MappingsPerStack();

class StackPool {
 public:
  // Free stacks kept per pool; more are unmapped on release.
  static constexpr size_t kMaxFree = 64;
  static constexpr size_t kMinStackBytes = 16 * 1024;
  static constexpr size_t kMaxStackBytes = 64 * 1024 * 1024;

  StackPool() = default;
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool();

  // The pool of the calling thread.
  static StackPool& ForThisThread();

  // A stack with at least `usable_bytes` (rounded up to pages).
  FiberStack Acquire(size_t usable_bytes);
  void Release(const FiberStack& stack);
  // The stack of a fiber that never runs again (abandoned or killed), once
  // its run is over: back to the pool. Under LSan, [live_from, top) is first
  // copied to the heap and kept reachable for the life of the process;
  // `live_from` is the lowest address the fiber may still use (its stack
  // pointer when it was suspended, less a margin), since below it is dead
  // space (copy and scan cost is per byte, and failing sweeps reclaim many
  // stacks).
  void Reclaim(const FiberStack& stack, const void* live_from);

  // Stacks this pool has mapped so far (reuse keeps it flat).
  uint64_t mapped_total() const { return mapped_total_; }

 private:
  std::vector<FiberStack> free_;
  uint64_t mapped_total_ = 0;
};

}  // namespace drpc::fiber
