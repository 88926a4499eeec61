// The bound of rt::RunBlocking's thread pool on fibers (blocking.cc).
// Internal to src/drpc/rt/fiber; tests read it.
#pragma once

#include <cstddef>

namespace drpc::rt::fiber {

inline constexpr size_t kBlockingPoolThreads = 8;

size_t BlockingPoolThreads();

}  // namespace drpc::rt::fiber
