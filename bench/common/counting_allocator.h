// A counting global allocator for benchmark binaries: every form of global
// operator new (plain, array, nothrow, aligned) bumps one process-wide
// counter, so a benchmark can report allocations per operation.
//
//   target_link_libraries(bench_x PRIVATE drpc_bench_counting_allocator)
//   drpc::bench::AllocationCounter allocs;
//   ... the measured work ...
//   double per_op = double(allocs.count()) / ops;
//
// Linking the target compiles counting_allocator.cc (the replacement
// operators) into the binary; link it into benchmark binaries only. The
// count covers every thread of the process (both ends of an in-process
// client and server), so steady-state figures need the work to be warm.
#pragma once

#include <cstdint>

namespace drpc::bench {

// Allocations made through global operator new since the process started.
uint64_t AllocationCount();

// Allocations since construction (or the last Reset), all threads.
class AllocationCounter {
 public:
  AllocationCounter() : start_(AllocationCount()) {}
  void Reset() { start_ = AllocationCount(); }
  uint64_t count() const { return AllocationCount() - start_; }

 private:
  uint64_t start_;
};

}  // namespace drpc::bench
