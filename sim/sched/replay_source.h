// Feeds a recorded choice log back into a run.
//
// A replay must ask exactly the recorded questions: the i-th request must
// have the recorded kind and n. If it does not, the code under test is not a
// function of its choices (it read a clock, an address, a global left over
// from an earlier run...), and the source reports nondeterminism naming the
// step and both requests; the scheduler stops the run there. Asking for more
// choices than were recorded is the same failure. Asking for fewer is only
// visible once the run is over: check fully_consumed().
#pragma once

#include <cstddef>

#include "sim/sched/choice_log.h"
#include "sim/sched/decision.h"

namespace drpc::sim {

class ReplaySource final : public DecisionSource {
 public:
  explicit ReplaySource(ChoiceLog log) : log_(std::move(log)) {}

  uint64_t Choose(const ChoiceRequest& request) override;

  size_t consumed() const { return next_; }
  bool fully_consumed() const { return next_ == log_.size(); }

 private:
  ChoiceLog log_;
  size_t next_ = 0;
};

}  // namespace drpc::sim
