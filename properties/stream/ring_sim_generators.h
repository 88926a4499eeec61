// RapidCheck generators for ring programs (ring_program.h) and schedules.
#pragma once

#include <rapidcheck.h>

#include <cstdint>
#include <ostream>
#include <vector>

#include "sim/scenarios/ring/ring_program.h"

namespace drpc::sim::ring {

// RapidCheck prints counterexamples through showValue (found by ADL).
inline void showValue(const RingProgram& program, std::ostream& os) { os << Describe(program); }

inline rc::Gen<uint32_t> GenMessageSize() {
  return rc::gen::weightedOneOf<uint32_t>({
      {8, rc::gen::inRange<uint32_t>(0, 9)},
      {6, rc::gen::inRange<uint32_t>(0, 513)},
      {1, rc::gen::inRange<uint32_t>(0, 8 * 1024 + 1)},
      {1, rc::gen::inRange<uint32_t>(0, 256 * 1024 + 1)},
  });
}

inline rc::Gen<RingProgram> GenProgram() {
  return rc::gen::exec([] {
    RingProgram p;
    p.capacity = *rc::gen::weightedOneOf<uint32_t>({
        {4, rc::gen::inRange<uint32_t>(1, 9)},
        {1, rc::gen::just<uint32_t>(256)},
    });
    const int budget = *rc::gen::weightedOneOf<int>(
        {{3, rc::gen::just(0)}, {1, rc::gen::just(1)}, {1, rc::gen::just(2)}});
    if (budget == 1) p.max_bytes = *rc::gen::inRange<uint32_t>(1, kSmallBudgetMax + 1);
    if (budget == 2) {
      p.max_bytes = *rc::gen::inRange<uint32_t>(kSmallBudgetMax + 1, kLargeBudgetMax + 1);
    }
    const size_t messages = *rc::gen::inRange<size_t>(0, kMaxMessages + 1);
    p.sizes = *rc::gen::container<std::vector<uint32_t>>(messages, GenMessageSize());
    const size_t steps = *rc::gen::inRange<size_t>(0, kMaxMessages + 3);
    p.consumer = *rc::gen::container<std::vector<ConsumerStep>>(
        steps, rc::gen::exec([] {
          ConsumerStep s;
          s.chunks = static_cast<uint8_t>(*rc::gen::inRange(1, static_cast<int>(kMaxChunks) + 1));
          s.hold_across_close =
              *rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}});
          s.done_by_destructor = *rc::gen::arbitrary<bool>();
          return s;
        }));
    p.consumer_drains = *rc::gen::arbitrary<bool>();
    p.teardown_delay = *rc::gen::inRange<uint32_t>(0, kMaxTeardownDelay + 1);
    p.closer = *rc::gen::arbitrary<bool>();
    if (p.closer) {
      p.closer_delay = *rc::gen::inRange<uint32_t>(0, kMaxCloserDelay + 1);
      p.close_error = *rc::gen::inRange<uint32_t>(0, kCloseErrors);
      p.closer_closes_twice = *rc::gen::arbitrary<bool>();
    }
    return p;
  });
}

// Scheduler choices: small values (each is taken mod the number of options,
// which is small), up to four times RapidCheck's size; past the end every
// choice is 0, the cooperative default, so shrinking cuts preemptions.
inline rc::Gen<std::vector<uint64_t>> GenSchedule() {
  return rc::gen::scale(
      4.0, rc::gen::container<std::vector<uint64_t>>(rc::gen::inRange<uint64_t>(0, 16)));
}

}  // namespace drpc::sim::ring
