// A scenario: a named body to run on the simulator, with what is expected of
// it. drpc-sim runs scenarios by name and sweeps them over seeds.
//
// Scenarios come in families. A family is a function that adds its
// scenarios to the registry; all.def lists the families, one line each (see
// there). Planted-bug scenarios use distinct names (`<family>.buggy`) from
// their fixed versions (`<family>.fixed`).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/sched/run.h"

namespace drpc::sim {

enum class Expectation : uint8_t {
  kPass,              // every seed passes; swept by scripts/sim
  kFindsBug,          // a planted bug the random scheduler must find quickly
  kNondeterministic,  // planted nondeterminism: the determinism check must catch it
};
std::string_view ExpectationName(Expectation expectation);

struct Scenario {
  std::string name;  // a single word, e.g. "lock_order.buggy"
  std::string description;
  Expectation expect = Expectation::kPass;
  // kFindsBug: the failure it must produce, and within how many consecutive
  // seeds (starting anywhere) the seeded random scheduler must find it.
  Outcome bug_outcome = Outcome::kOk;
  uint64_t find_within_seeds = 0;
  // Defaults for this scenario's runs (flags may override them).
  RunOptions options;
  // Runs as fiber "main". Creates everything it uses (run.h explains why).
  std::function<void()> body;
};

// A scenario that must fail: a planted bug (`<family>.<bug>.buggy`), a known
// limit, or a known failure (`<family>.<what>.known`, issue 13). The seeded
// random scheduler must see `bug_outcome` within `find_within_seeds`
// consecutive seeds. The arguments are Scenario's fields, in their order:
//   registry.Add(FindsBug("world.half-open-call-waits.known",
//                         "known failure (issue 13): a call without a deadline ...",
//                         Outcome::kLivenessFailed, /*find_within_seeds=*/200,
//                         worldsim::WorldRunOptions(), [] { worldsim::DrawAndRun(); }));
Scenario FindsBug(std::string name, std::string description, Outcome bug_outcome,
                  uint64_t find_within_seeds, RunOptions options, std::function<void()> body);
// A scenario every seed must pass (swept by scripts/sim):
//   registry.Add(Passes("world.half-open-call-waits", "...", worldsim::WorldRunOptions(),
//                       [] { worldsim::DrawAndRun(worldsim::HalfOpenGuard::kKeepalive); }));
Scenario Passes(std::string name, std::string description, RunOptions options,
                std::function<void()> body);

class ScenarioRegistry {
 public:
  // Names must be unique single words.
  void Add(Scenario scenario);
  const Scenario* Find(std::string_view name) const;
  // In the order the families added them.
  const std::vector<Scenario>& all() const { return scenarios_; }

 private:
  std::vector<Scenario> scenarios_;
};

// Every scenario of every family in all.def (built on first use).
const ScenarioRegistry& Scenarios();

// Options for scenario runs: small bounds, since scenarios are small. A family
// whose runs take more steps passes its own bound; `plants` are switched on
// for the run.
//   RunOptions RpcRunOptions() { return ScenarioDefaults(/*max_steps=*/400'000); }
RunOptions ScenarioDefaults(uint64_t max_steps = 100'000, plant::Set plants = {});

}  // namespace drpc::sim
