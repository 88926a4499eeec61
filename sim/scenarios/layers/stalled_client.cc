#include "sim/scenarios/layers/stalled_client.h"

#include <string>
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

rpc::CallOptions CallEnd::Options() const {
  rpc::CallOptions options;
  if (token) {
    options.cancel = *token;
  } else {
    options.deadline = ends;
  }
  return options;
}

void SpawnCall(std::vector<rt::Task>& tasks, size_t i, CallEnd& end, UniqueFunction<void()> body) {
  tasks.push_back(rt::spawn("call" + std::to_string(i), std::move(body)));
  if (end.token) {
    tasks.push_back(rt::spawn("cancel" + std::to_string(i), [&end] {
      rt::sleep_until(end.ends);
      end.token->Cancel();
    }));
  }
}

}  // namespace drpc::sim::layers
