// rt::RunBlocking in the simulator: time is virtual and one fiber runs at a
// time, so the work runs inline, as one step of the calling task.
#include "drpc/rt/blocking.h"

namespace drpc::rt {

void RunBlocking(const char* /*label*/, FunctionRef<void()> work) { work(); }

}  // namespace drpc::rt
