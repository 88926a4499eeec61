// What today's library does not survive (issue 13's table), each as a
// scenario whose check detects it: registered as `hostile.<what>.known`
// (kFindsBug), so `drpc-sim check` proves each failure stays reproducible
// until issue 13 fixes it and flips the scenario to kPass.
#pragma once

#include <string>
#include <vector>

#include "sim/sched/run.h"

namespace drpc::sim::hostile {

struct KnownFailure {
  std::string name;         // "hostile.stop-unbounded.known"
  std::string description;  // "known failure (issue 13): ..."
  void (*body)();
  // 0: the seeded random scheduler finds it. Otherwise the PCT depth that
  // does (drpc-sim ... --strategy pct --pct-depth D): a failure that needs
  // one task to run far ahead of others, as an OS scheduler lets it.
  uint32_t pct_depth = 0;
};

const std::vector<KnownFailure>& KnownFailures();

}  // namespace drpc::sim::hostile
