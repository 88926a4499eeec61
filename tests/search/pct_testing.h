// PctOptions for the search tests, every field given (designated
// initializers that skip one trip -Wmissing-field-initializers).
#pragma once

#include <cstdint>

#include "sim/sched/pct_source.h"

namespace drpc::sim::testing {

inline PctOptions Pct(uint32_t depth, uint64_t steps,
                      WaiterPolicy waiters = WaiterPolicy::kPriority) {
  PctOptions options;
  options.depth = depth;
  options.steps = steps;
  options.waiters = waiters;
  return options;
}

}  // namespace drpc::sim::testing
