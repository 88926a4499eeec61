// Every parker of the process (task records and plain threads' parkers),
// for reuse and for rt::WaitingTasks. Parkers are never freed: a late
// Waker (scheduler.h) may still point at one. Internal to src/drpc/rt/fiber.
#pragma once

#include <cstdint>
#include <string>

#include "drpc/base/function_ref.h"
#include "drpc/rt/fiber/scheduler.h"

namespace drpc::rt::fiber {

TaskRecord* NewTaskRecord(uint64_t id, std::string name);
void RecycleTaskRecord(TaskRecord* task);
// Calls `visit` for every parker in use, under the registry's lock.
void ForEachParker(FunctionRef<void(const Parker&)> visit);

void LockRegistryForFork();
void UnlockRegistryAfterFork();

}  // namespace drpc::rt::fiber
