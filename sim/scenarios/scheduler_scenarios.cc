// Scenarios about the scheduler itself: regressions for bugs the harness
// found in its own fiber machinery. Each must pass for every seed.
#include "drpc/rt/rt.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {
namespace {

// A fiber spawns a child and exits before the child first runs. Under ASan
// with detect_stack_use_after_return this once crashed: Boost starts a
// fiber's entry function when the fiber is created, and those frames came
// from the spawner's fake stack, which ASan releases when the spawner exits.
// corpus/sim/spawn_then_exit.regression keeps a seed that hits it.
void SpawnThenExit() {
  rt::Task grandchild;
  rt::Task spawner = rt::spawn("spawner", [&] {
    grandchild = rt::spawn("grandchild", [] {
      rt::yield();
      rt::yield();
    });
  });
  spawner.join();
  grandchild.join();
}

}  // namespace

void RegisterSchedulerScenarios(ScenarioRegistry& registry) {
  Scenario s;
  s.name = "spawn_then_exit.fixed";
  s.description = "a fiber exits before the child it spawned first runs (ASan fake-stack bug)";
  s.expect = Expectation::kPass;
  s.options = ScenarioDefaults();
  s.body = SpawnThenExit;
  registry.Add(std::move(s));
}

}  // namespace drpc::sim
