// The resources scenario family of drpc-sim (the resource checker,
// sim/checkers/resource_checker.h, watches every connection at every step):
//   resources.leak-marshal-accounting.buggy  the manager workload with the plant
//                                            stream.leak-marshal-accounting: the
//                                            checker finds marshal bytes left counted
//   resources.slow-handler-flood             large messages behind slow handlers: the
//                                            reader waits (back-pressure), all delivered
//   resources.partial-messages               unfinished 4 MiB messages on many streams:
//                                            streams past the budget fail (code 8)
//   resources.unread-replies                 4 MiB replies to a peer that never reads:
//                                            sends past the budget are refused (code 8)
//
//   drpc-sim run --scenario resources.slow-handler-flood --seed 1
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

  registry.Add(
      Passes("resources.slow-handler-flood",
             "a client sends 20 messages of 1 MiB on each of 4 streams to handlers that read only "
             "after a second: each stream's queue stops at max_queued_bytes and the reader waits "
             "(back-pressure), so the connection stays within its budget and every message arrives",
             resources::FloodRunOptions(), [] { resources::RunSlowHandlerFlood(); }));

  registry.Add(
      Passes("resources.partial-messages",
             "a raw peer sends ~4 MiB of a Message that never finishes on each of 20 streams: the "
             "partial packets past the connection's receive limit fail their streams with "
             "ResourceExhausted, and the connection stays within its budget",
             resources::FloodRunOptions(), [] { resources::RunPartialMessageFlood(); }));

  registry.Add(
      Passes("resources.unread-replies",
             "a raw peer makes 20 unary calls and never reads: the ~4 MiB replies that fit wait on "
             "back-pressure, one copy each; the sends past the connection's send limit return "
             "ResourceExhausted, and the connection stays within its budget",
             resources::FloodRunOptions(), [] { resources::RunUnreadRepliesFlood(); }));
}

}  // namespace drpc::sim
