// Fiber stacks of the OS backend: one pool shared by every worker thread
// (fibers migrate between workers, so a stack is freed on whichever worker
// its fiber finished), of guard-paged mappings of kStackBytes of address
// space each; only the pages a fiber touches become resident. Mapping can
// fail (address space, map count): then a spawn fails with
// kResourceExhausted, never an abort. Internal to src/drpc/rt/fiber.
#pragma once

#include <cstddef>
#include <optional>

#include "drpc/fiber/stack_pool.h"

namespace drpc::rt::fiber {

inline constexpr size_t kStackBytes = 256 * 1024;

std::optional<drpc::fiber::FiberStack> AcquireStack();
void ReleaseStack(const drpc::fiber::FiberStack& stack);

// Tests: the next `count` stack acquisitions fail as if no stack could be
// mapped (address space or map count exhausted); 0 turns it off.
void FailStackMapsForTesting(int count);

// For the fork handler: holds the pool's lock across fork().
void LockStacksForFork();
void UnlockStacksAfterFork();

}  // namespace drpc::rt::fiber
