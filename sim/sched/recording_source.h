// Wraps another source and logs every choice it makes (kind, n, value), so
// that any run, whatever strategy drove it, can be replayed from the log.
// sim::Run wraps the caller's source in one of these unless told not to.
#pragma once

#include "sim/sched/choice_log.h"
#include "sim/sched/decision.h"

namespace drpc::sim {

class RecordingSource final : public DecisionSource {
 public:
  explicit RecordingSource(DecisionSource& inner) : inner_(inner) {
    log_.reserve(64);  // one allocation covers a small run
  }

  uint64_t Choose(const ChoiceRequest& request) override;

  const ChoiceLog& log() const { return log_; }

 private:
  DecisionSource& inner_;
  ChoiceLog log_;
};

}  // namespace drpc::sim
