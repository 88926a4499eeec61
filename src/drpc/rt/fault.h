// DRPC_FAULT(kSite): true when a simulated run injects the fault at this
// site now (drpc/base/fault_site.h has the sites and docs/faults.md what
// each is for). The constant `false` on the OS backend, so a site costs
// nothing in production; in the simulator a relaxed load of the run's
// enabled set and, only if the site is on, a kFault decision at the run's
// rate (sim::FaultConfig), recorded on the tape like every other choice.
//
//   if (DRPC_FAULT(kShortWrite)) data = data.first(rt::FaultPick(data.size()));
#pragma once

#include <cstdint>

#include "drpc/base/fault_site.h"
#include "drpc/rt/internal/backend.h"

namespace drpc::rt {

#if DRPC_RT_SIM
namespace detail {
bool FaultFires(fault::Site site);  // sim/rt/fault.cc
uint64_t FaultPick(uint64_t n);     // sim/rt/fault.cc
}  // namespace detail
#define DRPC_FAULT(site)                                \
  (::drpc::fault::Enabled(::drpc::fault::Site::site) && \
   ::drpc::rt::detail::FaultFires(::drpc::fault::Site::site))
// A value in [0, n) chosen by the run (a kFault decision; 0 without asking
// when n <= 1), for a site that fired and must choose how: how many bytes a
// short write takes. Call it only after DRPC_FAULT returned true.
inline uint64_t FaultPick(uint64_t n) { return n <= 1 ? 0 : detail::FaultPick(n); }
#else
#define DRPC_FAULT(site) false
inline uint64_t FaultPick(uint64_t) { return 0; }
#endif

}  // namespace drpc::rt
