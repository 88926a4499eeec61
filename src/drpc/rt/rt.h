// The runtime seam: library code reaches locks, waits, tasks, time and bytes
// of I/O only through these headers (architecture.md, "Layers").
//
//   #include "drpc/rt/rt.h"
//   rt::Task t = rt::spawn("worker", [&] { rt::LockGuard g(mu); ++n; });
//   t.join();
//
// See docs/rt.md.
#pragma once

#include "drpc/rt/atomic.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
