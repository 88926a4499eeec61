// Selects the runtime backend. The build compiles every library above `rt`
// twice: with DRPC_RT_SIM=0 against OS threads and sockets, and with
// DRPC_RT_SIM=1 against the deterministic fiber scheduler in sim/. This is the
// only place outside rt/os and rt/sim that knows which one it is.
#pragma once

#if !defined(DRPC_RT_SIM)
#error "DRPC_RT_SIM is set by the build: link drpc_rt_os or drpc_rt_sim"
#endif

#if DRPC_RT_SIM
#include "drpc/rt/sim/state.h"
#else
#include "drpc/rt/os/state.h"
#endif

namespace drpc::rt {
// True in simulator builds. For diagnostics only: library code must behave
// the same in both worlds.
inline constexpr bool kSimulated = DRPC_RT_SIM != 0;
}  // namespace drpc::rt
