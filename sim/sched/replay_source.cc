#include "sim/sched/replay_source.h"

#include <string>

namespace drpc::sim {
namespace {

std::string Describe(ChoiceKind kind, uint64_t n) {
  return std::string(ChoiceKindName(kind)) + " choice among " + std::to_string(n);
}

std::string Where(size_t index, uint64_t step) {
  return "choice #" + std::to_string(index + 1) + " at step " + std::to_string(step);
}

}  // namespace

uint64_t ReplaySource::Choose(const ChoiceRequest& request) {
  if (next_ >= log_.size()) {
    ReportDivergence("replay diverged at " + Where(next_, request.step) + ": the run asks for a " +
                     Describe(request.kind, request.n) + " but the log has only " +
                     std::to_string(log_.size()) + " choices");
    return 0;
  }
  const ChoiceRecord& recorded = log_[next_];
  if (recorded.kind != request.kind || recorded.n != request.n) {
    ReportDivergence("replay diverged at " + Where(next_, request.step) + ": the log recorded a " +
                     Describe(recorded.kind, recorded.n) + " but the run asks for a " +
                     Describe(request.kind, request.n));
    return 0;
  }
  ++next_;
  return recorded.value;
}

}  // namespace drpc::sim
