// Scheduler feedback for the manager_sim fuzz target: libFuzzer learns from
// code coverage, which says little about schedules (two runs that take the
// same branches in a different interleaving look the same to it). This
// observer adds one feature per interleaving pair: whenever a fiber reaches
// a scheduling point right after a different fiber did, the pair (that
// fiber's op site, this op site) bumps a counter in libFuzzer's extra
// counter section. An op site is the operation and the static name of its
// object ("lock" on "manager.streams"), so features carry over between runs
// whose object ids differ. A new pair keeps the input (presence only, not
// how often).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/sched/step_observer.h"

namespace drpc::fuzz {

class InterleavingFeatures final : public sim::StepObserver {
 public:
  // Call before each run.
  void Reset();

  void OnOp(sim::FiberId fiber, uint64_t op_hash, uint32_t object) override;
  void OnNewObject(uint32_t object, const char* name) override;
  void OnUse(uint32_t /*object*/) override {}
  void OnLock(sim::FiberId /*fiber*/) override {}
  void OnForced(sim::FiberId /*fiber*/) override {}

  // The counters (libFuzzer's extra counters in the fuzz build).
  static std::span<uint8_t> Counters();
  // How many distinct pairs this run bumped (for tests and stats).
  size_t pairs_this_run() const { return pairs_; }

 private:
  std::vector<uint64_t> name_hashes_;  // index = object id - 1
  sim::FiberId last_fiber_ = sim::kNoFiber;
  uint64_t last_site_ = 0;
  size_t pairs_ = 0;
};

}  // namespace drpc::fuzz
