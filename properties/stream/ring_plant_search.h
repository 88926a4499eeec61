// Searching for a planted bug the two ways CI does: property 2 under
// RapidCheck (random programs and schedules, then shrinking), and the seeded
// sweep (seed after seed of the drpc-sim scenario). Each search keeps what
// it needs to print a replay line and to check that the line reproduces.
#pragma once

#include <rapidcheck.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "properties/stream/ring_sim_generators.h"
#include "properties/stream/ring_sim_testing.h"

namespace drpc::sim::ring::testing {

// Keeps RapidCheck quiet about the failures these searches expect (the
// default listener would print a reproduce line for each at exit).
class SilentListener final : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

struct Search {
  bool found = false;
  uint64_t runs = 0;             // runs up to and including the first failing one
  double seconds = 0;            // wall time to the first failure (not shrinking)
  RunResult failure;             // the final (for RapidCheck: shrunk) failing run
  std::optional<uint64_t> seed;  // sweep: the failing seed
  RingProgram program;           // RapidCheck: the shrunk program
  std::vector<uint64_t> schedule;
  std::string rapidcheck_report;
};

// Property 2 with the plant `site` on, run the way a default property run does it
// (RapidCheck's default test count and size ramp, from seed `seed`), again
// with seed + 1, + 2, ... until it fails or `max_runs` runs have passed.
// The first failure is shrunk (unless `shrink` is false).
inline Search SearchWithRapidCheck(Site site, uint64_t seed, int max_runs, bool shrink = true) {
  Search search;
  const auto start = std::chrono::steady_clock::now();
  uint64_t runs = 0;
  auto property = [&] {
    const RingProgram program = *GenProgram();
    const std::vector<uint64_t> schedule = *GenSchedule();
    if (!search.found) ++runs;
    RunResult result = RunScripted(program, schedule, {site});
    if (result.ok()) return;
    if (!search.found) {
      search.found = true;
      search.runs = runs;
      search.seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    // RapidCheck accepts every failing shrink at once, so the last failing
    // run is the final counterexample.
    search.program = program;
    search.schedule = schedule;
    search.failure = std::move(result);
    RC_FAIL(std::string(OutcomeName(search.failure.outcome)));
  };
  const rc::detail::TestParams defaults = rc::detail::configuration().testParams;
  for (uint64_t round = 0; !search.found && runs < static_cast<uint64_t>(max_runs); ++round) {
    rc::detail::TestParams params = defaults;
    params.seed = seed + round;
    params.disableShrinking = !shrink;
    rc::detail::TestMetadata metadata;
    metadata.id = ScenarioName(site);
    metadata.description = metadata.id;
    SilentListener listener;
    const rc::detail::TestResult result =
        rc::detail::checkTestable(property, metadata, params, listener);
    rc::detail::FailureResult failure;
    if (result.match(failure)) search.rapidcheck_report = failure.description;
  }
  return search;
}

// Seeds from `first` on (the plant `site` on), at most `max_seeds` of them.
inline Search SearchWithSeeds(Site site, uint64_t first, uint64_t max_seeds) {
  Search search;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t seed = first; seed < first + max_seeds; ++seed) {
    RunResult result = RunSeeded(seed, {site});
    if (result.ok()) continue;
    search.found = true;
    search.runs = seed - first + 1;
    search.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    search.seed = seed;
    search.failure = std::move(result);
    break;
  }
  return search;
}

}  // namespace drpc::sim::ring::testing
