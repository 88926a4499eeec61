// The runtime seam. Library code reaches locks, waits, tasks, time and bytes
// of I/O only through these headers (architecture.md, "Layers").
#pragma once

#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
