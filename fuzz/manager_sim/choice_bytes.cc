#include "fuzz/manager_sim/choice_bytes.h"

#include "drpc/base/check.h"

namespace drpc::fuzz {

std::vector<uint8_t> ChoicesAsBytes(const sim::ChoiceLog& choices) {
  std::vector<uint8_t> bytes;
  bytes.reserve(choices.size());
  for (const sim::ChoiceRecord& choice : choices) {
    DRPC_ASSERT(choice.n >= 2 && choice.value < choice.n, "a logged choice is in [0, n)");
    for (uint64_t top = choice.n - 1, v = choice.value; top != 0; top >>= 8, v >>= 8) {
      bytes.push_back(static_cast<uint8_t>(v));
    }
  }
  return bytes;
}

}  // namespace drpc::fuzz
