// The layer scenarios of drpc-sim (issue 16, "The sweep covers every
// layer"): workloads aimed at one layer's rules each, so a bug planted in
// that layer (drpc/base/plant.h, docs/plants.md) fails a scenario that
// scripts/sim sweeps, not only a unit test.
//   layers.malformed-input.fixed  wire and manager input rules (malformed_input.cc)
//   layers.stalled-peer.fixed     back-pressure, cancels and deadlines (stalled_peer.cc)
//   layers.shutdown-race.fixed    receives in flight while streams end (shutdown_race.cc)
//   layers.stalled-close.fixed    terminal frames stuck on back-pressure (stalled_close.cc)
// and each with its plant on as `layers.<plant>.buggy`.
#pragma once

namespace drpc::sim::layers {

// Each runs one drawn workload; call inside a run, as its body.
void RunMalformedInput();
void RunStalledPeer();
void RunShutdownRace();
void RunStalledClose();

}  // namespace drpc::sim::layers
