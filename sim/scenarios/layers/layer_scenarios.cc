#include "sim/scenarios/layers/layer_scenarios.h"

#include <string>

#include "drpc/base/plant.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {
namespace {

RunOptions LayerRunOptions(plant::Set plants = {}) {
  RunOptions options = ScenarioDefaults(/*max_steps=*/1'000'000, plants);
  options.stack_bytes = 128 * 1024;
  return options;
}

struct LayerPlant {
  plant::Site site;
  const char* scenario;  // the workload that finds it
  Outcome outcome;
  uint64_t find_within_seeds;
};

}  // namespace

void RegisterLayerScenarios(ScenarioRegistry& registry) {
  struct Workload {
    const char* name;
    const char* description;
    void (*body)();
  };
  static constexpr Workload kWorkloads[] = {
      {"layers.malformed-input.fixed",
       "hand-made frames on four connections to an rpc server at once: a ten-byte varint, a "
       "partial packet followed by a higher message id, truncated metadata, a finished stream id "
       "invoked again; each must be refused or dropped exactly",
       layers::RunMalformedInput},
      {"layers.stalled-peer.fixed",
       "a peer that stops reading for good while 1-3 streaming calls send, each ended by a "
       "deadline or a cancel racing its send blocked on back-pressure: the writer queue stays "
       "under its bound at every step, every call returns by its end, Close releases everything",
       layers::RunStalledPeer},
      {"layers.shutdown-race.fixed",
       "server-stream and bidi calls canceled or timed out while both sides receive: fin waits "
       "for receives in flight, replies arrive in order, everything is released",
       layers::RunShutdownRace},
      {"layers.stalled-close.fixed",
       "1-3 streaming calls fill the writer and end with CloseSend or Close, whose frame waits on "
       "back-pressure, while the peer reads nothing until it has written a remote CloseSend per "
       "stream and more than the pipe holds: the reader keeps reading, the peer's write ends, "
       "deadlines, cancels and Close then race the drain, Close returns by its flush timeout",
       layers::RunStalledClose},
  };
  for (const Workload& w : kWorkloads) {
    registry.Add(Passes(w.name, w.description, LayerRunOptions(), w.body));
  }

  // The plants these workloads exist for (docs/plants.md has the numbers).
  static constexpr LayerPlant kPlants[] = {
      {plant::Site::kWireOverlongVarintAccepted, "layers.malformed-input.fixed",
       Outcome::kInvariantFailed, 20},
      {plant::Site::kWirePartialKeptAcrossId, "layers.malformed-input.fixed",
       Outcome::kInvariantFailed, 20},
      {plant::Site::kWireTruncatedMetadataAccepted, "layers.malformed-input.fixed",
       Outcome::kInvariantFailed, 20},
      {plant::Site::kManagerFinishedIdAccepted, "layers.malformed-input.fixed",
       Outcome::kInvariantFailed, 20},
      {plant::Site::kManagerWriterBypassesMark, "layers.stalled-peer.fixed",
       Outcome::kInvariantFailed, 20},
      {plant::Site::kStreamCancelLocksBeforeWake, "layers.stalled-peer.fixed",
       Outcome::kInvariantFailed, 20},
      {plant::Site::kStreamFinIgnoresRead, "layers.shutdown-race.fixed", Outcome::kInvariantFailed,
       50},
      {plant::Site::kStreamTerminalHoldsMu, "layers.stalled-close.fixed", Outcome::kInvariantFailed,
       20},
      {plant::Site::kStreamAbortWaitsForWrite, "layers.stalled-close.fixed",
       Outcome::kInvariantFailed, 50},
  };
  for (const LayerPlant& p : kPlants) {
    const Scenario* workload = registry.Find(p.scenario);
    DRPC_ASSERT(workload != nullptr, std::string("no layer workload ") + p.scenario);
    const std::string name = "layers." + std::string(plant::Name(p.site)) + ".buggy";
    registry.Add(FindsBug(
        name,
        std::string(p.scenario) + " with the plant '" + std::string(plant::Name(p.site)) + "' on",
        p.outcome, p.find_within_seeds, LayerRunOptions(plant::Set{p.site}), workload->body));
  }
}

}  // namespace drpc::sim
