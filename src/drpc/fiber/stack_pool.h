// Fiber stacks: mmap'd, with a PROT_NONE guard page below each one (stacks
// grow down), so a fiber that overflows its stack crashes at once with
// SIGSEGV instead of silently corrupting its neighbour.
//
// Mapping a stack costs two system calls and page faults on first touch,
// which would dominate a run of a few microseconds, so stacks are pooled per
// thread and reused run after run (ASan poisoning left by the previous fiber
// is cleared on reuse).
//
// A failed run ends with fibers parked mid-stack. Their stacks are
// quarantined: never reused and never unmapped, because objects on them may
// still be referenced (and unwinding them could run destructors in states
// they were never meant to see). Under LeakSanitizer a quarantined stack is
// registered as a root region, so heap objects that only an abandoned fiber
// points to are not reported as leaks; without LSan its pages are given back
// to the kernel (MADV_DONTNEED) since nothing will ever read them.
//
// A fiber killed by a host crash (Scheduler::KillHost) is never unwound
// either, but once its run has ended well nothing can reference its frames
// any more (main returned; no abandoned fiber is left), so its stack is
// reclaimed: reused like a finished fiber's. What its frames owned stays
// owned, never destroyed: under LSan the live part of the stack is first
// copied to a heap block kept for the life of the process, so those objects
// are still reachable (a crash freezes them; it does not leak them). A
// process may thus crash hosts in any number of runs: before, each killed
// fiber kept two mappings for good, and long sweeps ran out of them.
#pragma once

#include <cstddef>
#include <cstdint>
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
  // `live_from`: the lowest address the abandoned fiber may still use (its
  // stack pointer when it was suspended, less a margin); LSan scans only
  // [live_from, top), since below it is dead space (scanning cost is per
  // byte, and failing sweeps quarantine many stacks).
  void Quarantine(const FiberStack& stack, const void* live_from);
  // A killed fiber's stack, once nothing can reference its frames: back to
  // the pool. Under LSan, [live_from, top) (as for Quarantine) is first
  // copied to the heap and kept reachable for the life of the process.
  void Reclaim(const FiberStack& stack, const void* live_from);

  // Stacks this pool has mapped so far (reuse keeps it flat).
  uint64_t mapped_total() const { return mapped_total_; }
  // Stacks quarantined by every pool of the process.
  static uint64_t QuarantinedTotal();

 private:
  std::vector<FiberStack> free_;
  uint64_t mapped_total_ = 0;
};

}  // namespace drpc::fiber
