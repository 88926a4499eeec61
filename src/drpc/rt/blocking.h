// rt::RunBlocking: the escape hatch for work that blocks its OS thread (a
// file, a C library, a blocking system call). On the fiber OS backend a
// handful of worker threads run every task, so a task that blocks a worker
// stalls every task queued behind it; RunBlocking runs `work` on a small
// bounded pool of threads kept for that and parks only the calling task.
//
//   rt::RunBlocking("config.read", [&] { text = ReadWholeFile(path); });
//
// The thread backend and the simulator run `work` inline (a task there owns
// its thread, or time is virtual). `work` must not use rt waits that need the
// caller (it runs on another thread); `label` (a string literal) names the
// wait in hang reports. See docs/rt.md, "The fiber backend".
#pragma once

#include "drpc/base/function_ref.h"

namespace drpc::rt {

void RunBlocking(const char* label, FunctionRef<void()> work);

}  // namespace drpc::rt
