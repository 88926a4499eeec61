#include <utility>

#include "drpc/base/check.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {

std::string_view ExpectationName(Expectation expectation) {
  switch (expectation) {
    case Expectation::kPass:
      return "pass";
    case Expectation::kFindsBug:
      return "planted-bug";
    case Expectation::kNondeterministic:
      return "planted-nondeterminism";
  }
  DRPC_ASSERT(false, "unknown Expectation");
}

Scenario FindsBug(std::string name, std::string description, Outcome bug_outcome,
                  uint64_t find_within_seeds, RunOptions options, std::function<void()> body) {
  Scenario s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.expect = Expectation::kFindsBug;
  s.bug_outcome = bug_outcome;
  s.find_within_seeds = find_within_seeds;
  s.options = std::move(options);
  s.body = std::move(body);
  return s;
}

Scenario Passes(std::string name, std::string description, RunOptions options,
                std::function<void()> body) {
  Scenario s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.options = std::move(options);
  s.body = std::move(body);
  return s;
}

void ScenarioRegistry::Add(Scenario scenario) {
  DRPC_ASSERT(!scenario.name.empty() && scenario.name.find_first_of(" \t\n") == std::string::npos,
              "scenario names are single words: '" + scenario.name + "'");
  DRPC_ASSERT(Find(scenario.name) == nullptr, "duplicate scenario name '" + scenario.name + "'");
  DRPC_ASSERT(scenario.body != nullptr, "scenario '" + scenario.name + "' has no body");
  DRPC_ASSERT(scenario.expect != Expectation::kFindsBug ||
                  (scenario.find_within_seeds > 0 && scenario.bug_outcome != Outcome::kOk),
              "planted-bug scenario '" + scenario.name + "' needs a bound and an outcome");
  scenarios_.push_back(std::move(scenario));
}

const Scenario* ScenarioRegistry::Find(std::string_view name) const {
  for (const Scenario& s : scenarios_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

RunOptions ScenarioDefaults(uint64_t max_steps, plant::Set plants) {
  RunOptions options;
  options.max_steps = max_steps;
  options.stack_bytes = 128 * 1024;
  options.plants = plants;
  return options;
}

}  // namespace drpc::sim
