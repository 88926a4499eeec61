#include "drpc/rt/fiber/last_errno.h"

#include <errno.h>

namespace drpc::rt::fiber {

[[gnu::noinline]] int LastErrno() { return errno; }

}  // namespace drpc::rt::fiber
