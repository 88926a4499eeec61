#include "sim/sched/decision.h"

#include "drpc/base/check.h"

namespace drpc::sim {

std::string_view ChoiceKindName(ChoiceKind kind) {
  switch (kind) {
    case ChoiceKind::kSchedule:
      return "schedule";
    case ChoiceKind::kTime:
      return "time";
    case ChoiceKind::kNet:
      return "net";
    case ChoiceKind::kFault:
      return "fault";
    case ChoiceKind::kWorkload:
      return "workload";
  }
  DRPC_ASSERT(false, "unknown ChoiceKind");
}

char ChoiceKindLetter(ChoiceKind kind) { return ChoiceKindName(kind)[0]; }

std::optional<ChoiceKind> ChoiceKindFromLetter(char letter) {
  for (int i = 0; i < kChoiceKindCount; ++i) {
    auto kind = static_cast<ChoiceKind>(i);
    if (ChoiceKindLetter(kind) == letter) return kind;
  }
  return std::nullopt;
}

}  // namespace drpc::sim
