#include "sim/peers/behaviour.h"

#include <bit>

#include "drpc/base/check.h"

namespace drpc::sim::peers {

std::string_view BehaviourName(Behaviour behaviour) {
  static constexpr std::string_view kNames[kBehaviourCount] = {
      "valid-call",     "garbage",       "truncated-frame",   "overlong-varint",     "huge-length",
      "stream-id-zero", "reused-id",     "decreasing-id",     "unfinished-packet",   "kind-change",
      "unknown-kind",   "invoke-flood",  "metadata-at-limit", "metadata-over-limit", "slowloris",
      "idle",           "message-flood",
  };
  const auto i = static_cast<size_t>(behaviour);
  return i < kBehaviourCount ? kNames[i] : "unknown";
}

size_t BehaviourSet::size() const { return static_cast<size_t>(std::popcount(bits_)); }

Behaviour BehaviourSet::Nth(size_t index) const {
  for (size_t b = 0; b < kBehaviourCount; ++b) {
    if ((bits_ & (uint32_t{1} << b)) == 0) continue;
    if (index-- == 0) return static_cast<Behaviour>(b);
  }
  DRPC_ASSERT(false, "BehaviourSet::Nth past the end");
  return Behaviour::kIdle;
}

}  // namespace drpc::sim::peers
