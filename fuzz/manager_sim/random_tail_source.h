// The decisions of a manager_sim input: its bytes first (BytesDecisionSource),
// then, once they run out, a random source seeded with a hash of the whole
// input. With a zero tail (the old rule) a short input is a near-cooperative
// run, and libFuzzer, which grows inputs from short ones, spent thousands of
// executions on schedules that random seeds skip at once (docs/fuzzing.md).
// With a random tail every new input is a fresh random run whose prefix the
// fuzzer steers. Still a pure function of the input: same bytes, same run.
#pragma once

#include <cstdint>
#include <span>

#include "sim/sched/input_source.h"
#include "sim/sched/random_source.h"

namespace drpc::fuzz {

class RandomTailSource final : public sim::DecisionSource {
 public:
  explicit RandomTailSource(std::span<const uint8_t> bytes) : bytes_(bytes), tail_(Hash(bytes)) {}

  uint64_t Choose(const sim::ChoiceRequest& request) override {
    return bytes_.exhausted() ? tail_.Choose(request) : bytes_.Choose(request);
  }

 private:
  static uint64_t Hash(std::span<const uint8_t> bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3ull;
    return h;
  }

  sim::BytesDecisionSource bytes_;
  sim::RandomSource tail_;
};

}  // namespace drpc::fuzz
