// Waits for a descriptor that has no reactor registration of its own (a
// listening socket, a socket still connecting) to become ready. Internal to
// src/drpc/rt/fiber.
#pragma once

#include "drpc/rt/time.h"

namespace drpc::rt::fiber {

// Parks until `fd` is ready for `events` (POLLIN or POLLOUT; a hang-up or
// error counts as ready) or `deadline` passes. True if it is ready.
bool WaitFd(int fd, short events, TimePoint deadline, const char* label);

}  // namespace drpc::rt::fiber
