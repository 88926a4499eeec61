// A choice log as the bytes sim::BytesDecisionSource reads back into exactly those
// choices: each value in the fewest little-endian bytes that can hold n - 1.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/sched/choice_log.h"

namespace drpc::fuzz {

std::vector<uint8_t> ChoicesAsBytes(const sim::ChoiceLog& choices);

}  // namespace drpc::fuzz
