// Runs a RingProgram (ring_program.h) on the simulator against the production
// ring (with whatever plants the run switched on, RunOptions::plants) and checks
// every invariant of drpc-protocol.md §3.6 while it runs and at its end:
//
//   at every scheduling point   the ledger's conservation check (a StepHook)
//   while the consumer reads    each message's bytes are message i's pattern,
//                               through fresh lease views (use after release)
//   at the end                  FIFO prefix of the accepted messages; drain
//                               after close; one close error, the first one,
//                               forever; Enqueue after Close never queued;
//                               the pool got every buffer back
//   throughout                  no deadlock and no livelock (the scheduler)
//
// A broken invariant fails the run (sim::Fail or DRPC_ASSERT), so the run's
// result carries the report and the choices that replay it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "drpc/base/plant.h"
#include "drpc/base/status.h"
#include "sim/scenarios/ring/ring_program.h"
#include "sim/sched/decision.h"
#include "sim/sched/run.h"

namespace drpc::sim::ring {

using plant::Site;

// Every plant site of the ring (drpc/base/plant.h), in declaration order.
inline constexpr std::array<Site, 8> kRingPlants = {
    Site::kRingDoubleDone,
    Site::kRingCloseReleasesHeld,
    Site::kRingLeakQueued,
    Site::kRingEnqueueLeaksOnClose,
    Site::kRingDequeueSkipsAdvance,
    Site::kRingDequeueAdvancesTwice,
    Site::kRingCloseWakesOnlyConsumer,
    Site::kRingPreFix89d4b63,
};

// The closer's errors (n < kCloseErrors), its second Close's error (which
// must never win), the producer's end of stream, and the error main closes
// with after a consumer that stopped early.
Status CloseError(uint32_t n);
Status SecondCloseError();
Status EndOfStreamError();
Status TeardownError();

// Runs `program` inside the current run (from fiber "main").
void RunRingProgram(const RingProgram& program);

// A scenario body: draws the program from the run's decisions, then runs it.
void DrawAndRun();

// The options every ring run uses (scenarios, sweep, properties, fuzzing),
// with `plants` on, so a replay line reruns with what found the failure.
RunOptions RingRunOptions(plant::Set plants = {});

// "ring.fixed" for no plant, "ring.<bug>.buggy" for the scenario that runs
// the same workload with the plant "ring.<bug>" on.
inline constexpr const char* kFixedScenario = "ring.fixed";
std::string ScenarioName(Site site);
// Consecutive seeds within which the seeded random scheduler finds every
// planted bug (the scenarios' bound; measured in the report of issue 4).
inline constexpr uint64_t kFindWithinSeeds = 400;

// What a plant's failure is: a deadlock for the lost wakeup, else a broken
// invariant.
Outcome ExpectedOutcome(Site site);

// The input for sim::BytesDecisionSource that makes exactly these choices (each value
// little endian, in the fewest bytes that hold n - 1): how a seeded or
// replayed run becomes a fuzz input.
std::vector<uint8_t> ChoicesAsBytes(const ChoiceLog& choices);

// Decisions for a generated program and schedule: kWorkload requests are
// answered from `workload` (EncodeProgram's answers, which must match the
// questions asked), every other request from `schedule` (value mod n, 0 once
// it runs out, like sim::IntSource).
class ScriptedSource final : public DecisionSource {
 public:
  ScriptedSource(ChoiceLog workload, std::vector<uint64_t> schedule)
      : workload_(std::move(workload)), schedule_(std::move(schedule)) {}
  uint64_t Choose(const ChoiceRequest& request) override;

 private:
  ChoiceLog workload_;
  std::vector<uint64_t> schedule_;
  size_t next_workload_ = 0;
  size_t next_schedule_ = 0;
};

}  // namespace drpc::sim::ring
