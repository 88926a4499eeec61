// Selects the runtime backend: includes the state the rt types embed, from
// the OS backend (DRPC_RT_SIM=0) or the simulator's (DRPC_RT_SIM=1, found on
// the include path drpc_rt_sim exports). The build sets DRPC_RT_SIM; this is
// the only file outside the backends that reads it. Internal to rt: include
// the rt headers instead. See docs/rt.md, "Two backends, one API".
#pragma once

#if !defined(DRPC_RT_SIM)
#error "DRPC_RT_SIM is set by the build: link drpc_rt_os or drpc_rt_sim"
#endif

#if DRPC_RT_SIM
#include "drpc/rt/internal/sim_state.h"  // sim/rt/include
#else
#include "drpc/rt/internal/os_state.h"
#endif

namespace drpc::rt {
// True in simulator builds. For diagnostics only: library code must behave
// the same in both worlds.
inline constexpr bool kSimulated = DRPC_RT_SIM != 0;
}  // namespace drpc::rt
