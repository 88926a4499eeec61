// Builds the registry from the families listed in all.def.
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

#define DRPC_SIM_SCENARIO_FAMILY(register_function, cmake_target) \
  void register_function(ScenarioRegistry& registry);
#include "sim/scenarios/all.def"
#undef DRPC_SIM_SCENARIO_FAMILY

const ScenarioRegistry& Scenarios() {
  static const ScenarioRegistry registry = [] {
    ScenarioRegistry r;
#define DRPC_SIM_SCENARIO_FAMILY(register_function, cmake_target) register_function(r);
#include "sim/scenarios/all.def"
#undef DRPC_SIM_SCENARIO_FAMILY
    return r;
  }();
  return registry;
}

}  // namespace drpc::sim
