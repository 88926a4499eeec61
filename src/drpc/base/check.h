// Invariant checks that stay on in every build: a broken invariant is a bug,
// never an expected error, so it stops the program (in the simulator: fails
// the run with a replay line) instead of limping on.
//
//   DRPC_ASSERT(n <= size_, "Buffer::Consume past the end");   // always
//   DRPC_CHECKED_ASSERT(Balanced(), "ledger out of balance");  // checked builds
//
// See docs/base.md, "Invariants".
#pragma once

#include <string>

// DRPC_CHECKED changes class layouts, so it has no default here: a default
// could differ from the value the library was built with. The build gives it
// to every user of drpc::drpc (a PUBLIC definition, also in drpc.pc).
#ifndef DRPC_CHECKED
#error "DRPC_CHECKED is not defined: link drpc::drpc (CMake) or use drpc.pc's Cflags"
#endif

namespace drpc {

// What happens when an invariant breaks. The default prints the report to
// stderr and aborts. The simulator installs a handler that fails the current
// run instead, so the report carries the schedule that led there. A handler
// must not return.
using InvariantHandler = void (*)(const std::string& report);
void SetInvariantHandler(InvariantHandler handler);  // nullptr restores the default

[[noreturn]] void InvariantViolated(const char* file, int line, const char* condition,
                                    const std::string& message);

}  // namespace drpc

#define DRPC_ASSERT(cond, message)                                     \
  do {                                                                 \
    if (__builtin_expect(!(cond), 0)) {                                \
      ::drpc::InvariantViolated(__FILE__, __LINE__, #cond, (message)); \
    }                                                                  \
  } while (0)

#if DRPC_CHECKED
#define DRPC_CHECKED_ASSERT(cond, message) DRPC_ASSERT(cond, message)
#else
#define DRPC_CHECKED_ASSERT(cond, message) \
  do {                                     \
  } while (0)
#endif
