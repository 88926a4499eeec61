#include "sim/sched/recording_source.h"

#include "drpc/base/check.h"

namespace drpc::sim {

uint64_t RecordingSource::Choose(const ChoiceRequest& request) {
  const uint64_t value = inner_.Choose(request);
  DRPC_ASSERT(value < request.n, "a decision source answered outside [0, n)");
  if (inner_.diverged()) ReportDivergence(inner_.divergence());
  log_.push_back(ChoiceRecord{request.kind, request.n, value});
  return value;
}

}  // namespace drpc::sim
