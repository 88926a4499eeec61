// rt::RunBlocking on the thread backend: every task owns its thread, so
// blocking it blocks nobody else.
#include "drpc/rt/blocking.h"

namespace drpc::rt {

void RunBlocking(const char* /*label*/, FunctionRef<void()> work) { work(); }

}  // namespace drpc::rt
