// Runs this test binary's fiber runtime on 4 worker threads (unless
// DRPC_RT_WORKERS says otherwise), so the concurrency tests exercise fibers
// migrating between workers and wakes racing across threads even on a
// machine with fewer cores. Set before main: the runtime starts on first use.
#pragma once

#include <cstdlib>

namespace drpc::rt::testing {

inline const bool kFourWorkers = [] { return ::setenv("DRPC_RT_WORKERS", "4", 0) == 0; }();

}  // namespace drpc::rt::testing
