// The simulator's side of DRPC_FAULT (drpc/rt/fault.h): the run's fault
// configuration decides, through the decision source.
#include "drpc/rt/fault.h"

#include "sim/sched/fault_config.h"
#include "sim/sched/run.h"

namespace drpc::rt::detail {

bool FaultFires(fault::Site site) { return sim::FaultFires(fault::Name(site)); }

uint64_t FaultPick(uint64_t n) { return sim::Choose(n, sim::ChoiceKind::kFault); }

}  // namespace drpc::rt::detail
