#include "sim/scenarios/layers/stalled_client.h"

#include <utility>

#include "sim/sched/run.h"

namespace drpc::sim::layers {

StalledClient MakeStalledClient() {
  static constexpr size_t kCapacities[] = {256, 1024, 4096};
  net::PipeOptions pipe;
  pipe.capacity_bytes = kCapacities[Choose(3, ChoiceKind::kWorkload)];
  StalledClient client{net::MakePipe(pipe), pipe.capacity_bytes, {}};
  client.options.manager.name = "client";
  client.options.manager.writer.high_water_bytes = 1024;
  client.options.manager.stream.split_size = 256;
  return client;
}

}  // namespace drpc::sim::layers
