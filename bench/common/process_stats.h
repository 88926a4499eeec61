// What a benchmark reads about its own process from /proc: its threads now
// (the client and the server run in the one process, so every thread of
// both ends counts) and its resident memory.
#pragma once

#include <cstdint>

namespace drpc::bench {

// Entries of /proc/self/task: the process's threads now.
int CountThreads();

// VmRSS of /proc/self/status in bytes (0 if unreadable).
int64_t ResidentBytes();

}  // namespace drpc::bench
