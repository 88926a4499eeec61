#include "sim/scenarios/rpc/rpc_faults.h"

#include "sim/sched/run.h"

namespace drpc::sim::rpcsim {

Result<std::unique_ptr<rt::Transport>> FaultyListener::Accept() {
  if (accept_error_one_in_ > 0 && !healed_ && !closed_ &&
      sim::Choose(accept_error_one_in_, ChoiceKind::kFault) == 1) {
    ++injected_;
    return ResourceExhaustedError("accept sim: too many open files (injected)");
  }
  return inner_.Accept();
}

Status FaultyListener::Close() {
  closed_ = true;
  return inner_.Close();
}

}  // namespace drpc::sim::rpcsim
