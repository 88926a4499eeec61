// GoogleTest integration for simulated tests: runs a test body over many
// seeds, and for a failing seed prints the one line that reruns just that
// seed and saves the run's choice log (with the line that replays it).
//
//   TEST(Echo, SurvivesAFaultyNetwork) {
//     drpc::sim::ForEachSeed({.count = 200}, [] {
//       // a plain sim::Run body: the main task of one simulated run
//       ...
//       EXPECT_EQ(reply, "hi");
//     });
//   }
//
// A failure (an EXPECT or ASSERT in the body, or a run that ends in a
// deadlock, an invariant failure, ...) stops the sweep at the first failing
// seed and reports:
//
//   simulated run failed: seed 17 (strategy random): deadlock ...
//   replay: DRPC_SIM_SEED=17 DRPC_SIM_STRATEGY=random /path/echo_test
//   --gtest_filter=Echo.Survives... choice log: ./Echo.SurvivesAFaultyNetwork.seed17.choices replay
//   the log: DRPC_SIM_REPLAY=./Echo... /path/echo_test --gtest_filter=Echo.Survives...
//
// The plan's defaults are the test's; DRPC_SIM_SEEDS, DRPC_SIM_SEED,
// DRPC_SIM_STRATEGY, DRPC_SIM_REPLAY and DRPC_SIM_LOG_DIR (and their flags,
// sim/gtest/seed_plan.h) override them. Header-only: the GoogleTest it uses
// is the one the test links.
#pragma once

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "drpc/base/function_ref.h"
#include "sim/gtest/seed_plan.h"
#include "sim/sched/run.h"

namespace drpc::sim {

namespace gtest_detail {

inline std::string CurrentTestName() {
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "unknown";
  return std::string(info->test_suite_name()) + "." + info->name();
}

// The body's gtest failures of one run, re-reported with the run's seed
// (the interceptor keeps them from counting twice).
inline bool ReportRun(const ::testing::TestPartResultArray& failures, const RunResult& result,
                      const std::string& what) {
  for (int i = 0; i < failures.size(); ++i) {
    const ::testing::TestPartResult& part = failures.GetTestPartResult(i);
    ADD_FAILURE_AT(part.file_name() != nullptr ? part.file_name() : "unknown", part.line_number())
        << part.message() << "\n(in " << what << ")";
  }
  if (!result.ok()) {
    ADD_FAILURE() << what << ": " << OutcomeName(result.outcome) << "\n"
                  << result.report << "\n"
                  << result.trace_tail;
  }
  return failures.size() > 0 || !result.ok();
}

}  // namespace gtest_detail

// Runs `body` as a simulated run once per seed of `defaults` as the
// environment and flags amend it (or once on DRPC_SIM_REPLAY's choices).
// Stops at the first failing seed. `options` are every run's (plants,
// limits); record_choices is forced on, so a failure's log can be saved.
inline void ForEachSeed(SeedPlan defaults, FunctionRef<void()> body, RunOptions options = {}) {
  Result<SeedPlan> plan = SeedPlanFromEnvironment(std::move(defaults));
  if (!plan.ok()) {
    ADD_FAILURE() << "bad simulated-test setting: " << plan.status().message();
    return;
  }
  options.record_choices = true;
  const std::string test = gtest_detail::CurrentTestName();
  using Reporter = ::testing::ScopedFakeTestPartResultReporter;

  if (!plan->replay_file.empty()) {
    ::testing::TestPartResultArray failures;
    Result<RunResult> result = RunResult{};
    bool matches = false;
    {
      Reporter intercept(Reporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      result = ReplayChoiceLog(plan->replay_file, options, body, &matches);
    }
    if (!result.ok()) {
      ADD_FAILURE() << result.status().message();
      return;
    }
    gtest_detail::ReportRun(failures, *result, "replay of " + plan->replay_file);
    if (!matches) {
      ADD_FAILURE() << "the replay of " << plan->replay_file << " did not end as recorded (outcome "
                    << OutcomeName(result->outcome) << ", steps " << result->steps
                    << "): the body or the library changed since, or the body is not "
                       "deterministic";
    }
    return;
  }

  for (uint64_t seed : plan->Seeds()) {
    ::testing::TestPartResultArray failures;
    RunResult result;
    {
      Reporter intercept(Reporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
      result = RunSeed(*plan, seed, options, body);
    }
    const std::string what = "seed " + std::to_string(seed) + " (strategy " +
                             std::string(StrategyName(plan->strategy)) + ")";
    if (!gtest_detail::ReportRun(failures, result, what)) continue;
    std::string log_line;
    if (Result<std::string> path = SaveFailedRun(test, plan->strategy, seed, result, plan->log_dir);
        path.ok()) {
      log_line = "choice log: " + *path + "\nreplay the log: " + ReplayLogCommand(test, *path);
    } else {
      log_line = "choice log not saved: " + path.status().message();
    }
    ADD_FAILURE() << "simulated run failed: " << what
                  << "\nreplay: " << ReplayCommand(test, plan->strategy, seed) << "\n"
                  << log_line;
    return;
  }
}

}  // namespace drpc::sim
