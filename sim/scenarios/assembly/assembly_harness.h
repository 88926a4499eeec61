// Partial packets on the simulator: a hand-driven client writes frames to a
// server Manager over the sim pipe (reads split by the seed), drawn from
// the run's decisions: Messages split into frames, frames of several streams
// interleaved, a packet left unfinished and replaced by a higher message id,
// packets over the server's max_packet_size, a handler that cancels its
// stream mid-packet, and a connection cut inside a frame's payload. So every
// way a buffer being assembled is abandoned happens (docs/stream.md,
// "Receiving in place").
//
// Checked: the ledger's conservation equation at every step (a buffer being
// assembled belongs to a live ring; at most one per stream; every move into
// and out of the assembling state follows its rules); per stream, the
// messages the handler receives are a prefix of what a reference assembler
// (wire::PacketAssembler keeping its own bytes) makes of the same frames;
// after teardown every pooled buffer is back.
//
//   sim::RandomSource decisions(seed);
//   sim::Run(decisions, AssemblyRunOptions(), [] { DrawAndRun(); });
#pragma once

#include "drpc/base/plant.h"
#include "sim/sched/run.h"

namespace drpc::sim::assembly {

struct PlantedBug {
  plant::Site site;
  Outcome outcome;
};
inline constexpr PlantedBug kPlantedBugs[] = {
    // The forgotten buffer names a ring that is gone (the ledger).
    {plant::Site::kAssemblyLeakOnCancel, Outcome::kInvariantFailed},
    // The replacing packet lands after the dropped one's bytes: a corrupt
    // message, or the buffer disagreeing with the assembler.
    {plant::Site::kAssemblyKeepsReplaced, Outcome::kInvariantFailed},
    {plant::Site::kAssemblyLeakOverLimit, Outcome::kInvariantFailed},
    // A buffer leaves the assembling state without a reason (the ledger).
    {plant::Site::kAssemblyPutOnTeardown, Outcome::kInvariantFailed},
};

inline constexpr char kFixedScenario[] = "assembly.fixed";
// "assembly.<bug>.buggy" for the plant "assembly.<bug>".
std::string ScenarioName(plant::Site site);
inline constexpr uint64_t kFindWithinSeeds = 500;

RunOptions AssemblyRunOptions(plant::Set plants = {});

// Call inside a run, as its body.
void DrawAndRun();

}  // namespace drpc::sim::assembly
