// The resources scenario family of drpc-sim (the resource checker,
// sim/checkers/resource_checker.h, watches every connection at every step):
//   resources.leak-marshal-accounting.buggy  the manager workload with the plant
//                                            stream.leak-marshal-accounting: the
//                                            checker finds marshal bytes left counted
//   resources.slow-handler-flood.known       known failure (issue 13): large messages
//                                            queue behind slow handlers past the budget
//   resources.partial-messages.known         known failure (issue 13): unfinished
//                                            4 MiB messages on many streams
//   resources.unread-replies.known           known failure (issue 13): 4 MiB replies
//                                            to a peer that never reads
//
//   drpc-sim run --scenario resources.slow-handler-flood.known --seed 1
#include "drpc/base/plant.h"
#include "sim/scenarios/manager/manager_harness.h"
#include "sim/scenarios/resources/flood.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

void RegisterResourceScenarios(ScenarioRegistry& registry) {
  registry.Add(
      FindsBug("resources.leak-marshal-accounting.buggy",
               "the manager workload with the plant 'stream.leak-marshal-accounting' (a destroyed "
               "stream's marshal buffer stays counted): the resource checker's end check finds it",
               Outcome::kInvariantFailed, /*find_within_seeds=*/10,
               mgr::ManagerRunOptions({plant::Site::kStreamLeakMarshalAccounting}),
               [] { mgr::DrawAndRun(); }));

  registry.Add(FindsBug(
      "resources.slow-handler-flood.known",
      "known failure (issue 13): a client sends 20 messages of 1 MiB on each of 4 streams to "
      "handlers that read only after a second; the server's rings queue them with no byte "
      "bound and the connection passes its 64 MiB budget (pool-lent)",
      Outcome::kInvariantFailed, /*find_within_seeds=*/1, resources::FloodRunOptions(),
      [] { resources::RunSlowHandlerFlood(); }));

  registry.Add(FindsBug(
      "resources.partial-messages.known",
      "known failure (issue 13): a raw peer sends ~4 MiB of a Message that never finishes on "
      "each of 20 streams; the assemblers hold every partial packet and the connection passes "
      "its 64 MiB budget (assembler)",
      Outcome::kInvariantFailed, /*find_within_seeds=*/1, resources::FloodRunOptions(),
      [] { resources::RunPartialMessageFlood(); }));

  registry.Add(FindsBug(
      "resources.unread-replies.known",
      "known failure (issue 13): a raw peer makes 20 unary calls and never reads; each "
      "handler's ~4 MiB reply waits on back-pressure in its stream's marshal buffer and the "
      "connection passes its 64 MiB budget (marshal)",
      Outcome::kInvariantFailed, /*find_within_seeds=*/1, resources::FloodRunOptions(),
      [] { resources::RunUnreadRepliesFlood(); }));
}

}  // namespace drpc::sim
