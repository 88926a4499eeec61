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
//   sim::Run(decisions, ManagerRunOptions(), [] { DrawAndRun(ManagerBug::kNone); });
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drpc/manager/planted_bug.h"
#include "sim/sched/run.h"

namespace drpc::sim::mgr {

using manager::ManagerBug;

inline constexpr ManagerBug kPlantedBugs[] = {
    ManagerBug::kLeakDroppedStreams,
    ManagerBug::kCloseWaitsForTermOnly,
    ManagerBug::kRegisterAfterClose,
    ManagerBug::kDropInterleavedFrame,
};

// "manager.fixed", "manager.<bug>.buggy".
std::string ScenarioName(ManagerBug bug);
// The failure each planted bug produces.
Outcome ExpectedOutcome(ManagerBug bug);
// Consecutive seeds within which the random scheduler must find each plant.
inline constexpr uint64_t kFindWithinSeeds = 2500;

RunOptions ManagerRunOptions();

// Draws a workload from the run's decisions and runs it on a manager pair
// with `bug` planted (kNone: production). Call inside a run, as its body.
void DrawAndRun(ManagerBug bug);

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
