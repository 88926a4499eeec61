// Property 3: a seeded sweep of the ring scenario (ring.fixed: random
// programs and schedules from seeds) with a fixed budget. Every seed must
// pass; a failing seed prints its replay line (`drpc-sim run --scenario
// ring.fixed --seed S`). Each seed is also run twice to check the run is a
// function of its seed (same trace hash).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "properties/stream/ring_sim_testing.h"
#include "sim/sched/input_source.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::ring {
namespace {

using sim::testing::Hex;
using sim::testing::SeedCount;
using testing::RunSeeded;
using testing::SeedReplayLine;

TEST(RingSweep, FixedRingPassesEverySeed) {
  // RING_SWEEP_SEEDS overrides the budget (e.g. for a long soak).
  const uint64_t seeds = SeedCount("RING_SWEEP_SEEDS", 3000);
  uint64_t steps = 0;
  for (uint64_t seed = 0; seed < seeds; ++seed) {
    const RunResult result = RunSeeded(seed, {});
    steps += result.steps;
    ASSERT_TRUE(result.ok()) << OutcomeName(result.outcome) << ": " << result.report << "\n"
                             << result.trace_tail
                             << "\nreplay: " << SeedReplayLine(kFixedScenario, seed);
  }
  std::cout << seeds << " seeds, " << steps << " scheduling steps\n";
}

TEST(RingSweep, SameSeedSameTrace) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RunResult first = RunSeeded(seed, {});
    const RunResult second = RunSeeded(seed, {});
    ASSERT_EQ(Hex(first.trace_hash), Hex(second.trace_hash)) << "seed " << seed;
    ASSERT_EQ(first.steps, second.steps);
  }
}

// A seeded run written as BytesDecisionSource input (how fuzz/ring_ops/make_corpus
// makes the seed corpus) replays that run.
TEST(RingSweep, SeededRunsBecomeFuzzInputsThatReplayThem) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    const RunResult from_seed = RunSeeded(seed, {});
    const std::vector<uint8_t> bytes = ChoicesAsBytes(from_seed.choice_log);
    BytesDecisionSource source(bytes);
    const RunResult from_bytes = sim::Run(source, RingRunOptions(), [] { DrawAndRun(); });
    ASSERT_TRUE(from_bytes.ok()) << from_bytes.report;
    EXPECT_EQ(Hex(from_bytes.trace_hash), Hex(from_seed.trace_hash)) << "seed " << seed;
    EXPECT_TRUE(source.exhausted());
  }
}

}  // namespace
}  // namespace drpc::sim::ring
