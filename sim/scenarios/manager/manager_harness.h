// The manager pair on the simulator: a client and a server Manager over the
// sim pipe, driven by a workload drawn from the run's decisions (kind
// kWorkload), so one seed (or one RapidCheck integer vector) is the whole
// run: which streams open when, message sizes, how each call ends on each
// side (CloseSend, Close, Cancel, SendError, a deadline), a slow consumer,
// and one connection event at a chosen virtual time (a manager Close on
// either side, or a connection reset).
//
// Checked, at every step and at the end:
//   * the ledger's conservation equation on both pools (a StepHook);
//   * every call returns (a fiber left blocked is a deadlock the simulator
//     reports with its wait label);
//   * every stream either side saw has finished once both managers closed;
//   * per stream and direction: the messages received are a prefix, in
//     order, of the messages whose send returned ok; all of them when the
//     receiver ended with EOF (the peer's CloseSend or Close, which the
//     writer orders after every earlier send);
//   * after teardown every pooled buffer is back in its pool.
// A failed check fails the run (sim::Fail) with what broke.
//
//   sim::RandomSource decisions(seed);
//   sim::Run(decisions, ManagerRunOptions(), [] { DrawAndRun(); });
//
// A planted manager bug is a plant site (drpc/base/plant.h) switched on for
// the run: ManagerRunOptions({plant::Site::kManagerRegisterAfterClose}).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drpc/base/plant.h"
#include "sim/sched/run.h"

namespace drpc::sim::mgr {

// A manager plant and the failure the workload's checks report for it.
struct PlantedBug {
  plant::Site site;
  Outcome outcome;
};
inline constexpr PlantedBug kPlantedBugs[] = {
    // A finished stream is parked forever: its queued buffers never return
    // to the pool (the ledger at teardown).
    {plant::Site::kManagerLeakDroppedStreams, Outcome::kInvariantFailed},
    // Close returns while a receive is in flight, and that stream finishes
    // after Close (the sealed table).
    {plant::Site::kManagerCloseWaitsForTermOnly, Outcome::kInvariantFailed},
    // A stream registered after terminate is never canceled, so Close waits
    // for it forever.
    {plant::Site::kManagerRegisterAfterClose, Outcome::kDeadlock},
    // Interleaved Messages arrive corrupted (the per-stream prefix check).
    {plant::Site::kManagerDropInterleavedFrame, Outcome::kInvariantFailed},
    // A message of several frames arrives with bytes of the sender's next
    // one, marshalled into its buffer before its frames were written (the
    // per-stream prefix check).
    {plant::Site::kStreamReusesLentBuffer, Outcome::kInvariantFailed},
};

// "manager.fixed" for the production manager.
inline constexpr char kFixedScenario[] = "manager.fixed";
// "manager.<bug>.buggy" for the plant "manager.<bug>", and
// "manager.<layer>.<bug>.buggy" for another layer's plant run on this
// workload ("stream.reuses-lent-buffer").
std::string ScenarioName(plant::Site site);
// Consecutive seeds within which the random scheduler must find each plant.
inline constexpr uint64_t kFindWithinSeeds = 2500;

// The run options of every manager scenario, with `plants` switched on.
RunOptions ManagerRunOptions(plant::Set plants = {});

// Draws a workload from the run's decisions and runs it on a manager pair
// (with whatever plants the run switched on). Call inside a run, as its body.
void DrawAndRun();

// The head-of-line blocking scenario of drpc-protocol.md §4.10: the server's
// handler for stream A waits for a message on stream B while A's ring is
// full, so the shared reader blocks in A's Enqueue and never delivers B's
// message. With `byte_budget` false (the seed era's blocking ring) every
// seed deadlocks, and the simulator reports the blocked tasks. With
// `byte_budget` true the server's rings have a byte budget: the overrun
// fails only stream A (ResourceExhausted, an abortive Error to the client)
// and the reader goes on, so B's message arrives and the run passes.
void RunHeadOfLine(bool byte_budget);

}  // namespace drpc::sim::mgr
