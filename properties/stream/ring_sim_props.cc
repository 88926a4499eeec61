// Property 2: RapidCheck generates a ring program (producer messages and
// sizes, consumer steps, closer, capacity, byte budget) and a vector of
// scheduler choices; the program runs on the simulator with its choices read
// from that vector, so shrinking shrinks the program and the schedule
// together. Every §3.6 invariant is checked (ring_harness.h). A failure
// prints the shrunk program, the simulator's report and a choice log that
// `drpc-sim replay` reruns.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <ostream>

#include "properties/stream/ring_sim_generators.h"
#include "properties/stream/ring_sim_testing.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::ring {
namespace {

using sim::testing::SaveChoiceLog;
using testing::LogReplayLine;
using testing::RunScripted;

// Drawing an encoded program gives the program back: the generated program
// and the one the run executes (and a replay redraws) are the same.
RC_GTEST_PROP(RingSimProps, ProgramRoundTripsThroughChoices, ()) {
  const RingProgram program = *GenProgram();
  RingProgram drawn;
  ScriptedSource source(EncodeProgram(program), {});
  const RunResult result = Run(source, RingRunOptions(), [&] { drawn = DrawProgram(); });
  RC_ASSERT(result.ok());
  RC_ASSERT(drawn == program);
}

RC_GTEST_PROP(RingSimProps, EveryInvariantHoldsUnderAnySchedule, ()) {
  const RingProgram program = *GenProgram();
  const std::vector<uint64_t> schedule = *GenSchedule();
  RC_CLASSIFY(program.closer, "closer");
  RC_CLASSIFY(program.max_bytes != 0, "budget");
  RC_CLASSIFY(!program.consumer_drains, "consumer stops early");
  const RunResult result = RunScripted(program, schedule, {});
  if (!result.ok()) {
    const std::string log = SaveChoiceLog(kFixedScenario, result);
    RC_FAIL(std::string(OutcomeName(result.outcome)) + ": " + result.report + "\n" +
            result.trace_tail + "\nreplay: " + LogReplayLine(log));
  }
}

}  // namespace
}  // namespace drpc::sim::ring
