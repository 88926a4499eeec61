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

  Scenario flood;
  flood.name = "resources.slow-handler-flood";
  flood.description =
      "a client sends 20 messages of 1 MiB on each of 4 streams to handlers that read only "
      "after a second: each stream's queue stops at max_queued_bytes and the reader waits "
      "(back-pressure), so the connection stays within its budget and every message arrives";
  flood.expect = Expectation::kPass;
  flood.options = resources::FloodRunOptions();
  flood.body = [] { resources::RunSlowHandlerFlood(); };
  registry.Add(std::move(flood));

  Scenario partial;
  partial.name = "resources.partial-messages";
  partial.description =
      "a raw peer sends ~4 MiB of a Message that never finishes on each of 20 streams: the "
      "partial packets past the connection's receive limit fail their streams with "
      "ResourceExhausted, and the connection stays within its budget";
  partial.expect = Expectation::kPass;
  partial.options = resources::FloodRunOptions();
  partial.body = [] { resources::RunPartialMessageFlood(); };
  registry.Add(std::move(partial));

  Scenario unread;
  unread.name = "resources.unread-replies";
  unread.description =
      "a raw peer makes 20 unary calls and never reads: the ~4 MiB replies that fit wait on "
      "back-pressure, one copy each; the sends past the connection's send limit return "
      "ResourceExhausted, and the connection stays within its budget";
  unread.expect = Expectation::kPass;
  unread.options = resources::FloodRunOptions();
  unread.body = [] { resources::RunUnreadRepliesFlood(); };
  registry.Add(std::move(unread));
}

}  // namespace drpc::sim
