// The hostile world (label sim): the peer's frame builders byte by byte,
// every mutation class reached by hostile.fixed over seeds, determinism,
// hostile.fixed and hostile.client.fixed passing sweeps (also under the
// world's faults), and every issue-13 known failure found within its bound
// with a replay that reproduces it.
#include <gtest/gtest.h>

#include <iostream>
#include <optional>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/metadata.h"
#include "sim/cli/runner.h"
#include "sim/peers/behaviour.h"
#include "sim/peers/frame_mutations.h"
#include "sim/scenarios/hostile/hostile_fixed.h"
#include "sim/scenarios/hostile/known_failures.h"
#include "sim/sched/fault_config.h"
#include "sim/testing/run_checks.h"
#include "sim/testing/scenario_runs.h"

namespace drpc::sim {
namespace {

using testing::Describe;
using testing::FindScenario;
using testing::RunSeed;
using testing::SameRun;
using testing::SeedCount;

// ---- the frame builders -------------------------------------------------------

TEST(HostileFrames, AUnaryCallParsesIntoItsPackets) {
  Buffer out;
  const wire::Metadata md{{"k", "v"}};
  const uint64_t last = peers::AppendUnaryCall(
      out, {.stream_id = 5, .rpc = "/a.B/C", .request = "x", .metadata = &md});
  EXPECT_EQ(last, 4u);
  Bytes rest = out.view();
  const wire::Kind kinds[] = {wire::Kind::kInvokeMetadata, wire::Kind::kInvoke,
                              wire::Kind::kMessage, wire::Kind::kCloseSend};
  for (uint64_t i = 0; i < 4; ++i) {
    const wire::FrameParse p = wire::ParseFrame(rest);
    ASSERT_EQ(p.status, wire::ParseStatus::kOk) << i;
    EXPECT_EQ(p.frame.stream_id, 5u);
    EXPECT_EQ(p.frame.message_id, i + 1);
    EXPECT_EQ(p.frame.kind, wire::ToRaw(kinds[i]));
    EXPECT_TRUE(p.frame.done);
    rest = rest.subspan(p.consumed);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(HostileFrames, MutationsAreWhatTheyClaim) {
  Buffer overlong;
  peers::AppendOverlongVarint(overlong);
  EXPECT_EQ(wire::ParseFrame(overlong.view()).status, wire::ParseStatus::kMalformed);

  Buffer huge;
  peers::AppendHugeLength(huge, 3, ~uint64_t{0}, 7);
  const wire::HeaderParse h = wire::ParseFrameHeader(huge.view());
  ASSERT_EQ(h.status, wire::ParseStatus::kOk);
  EXPECT_EQ(h.header.data_size, ~uint64_t{0});
  EXPECT_EQ(huge.size(), h.header.header_size + 7);
  EXPECT_EQ(wire::ParseFrame(huge.view()).status, wire::ParseStatus::kNeedMore);

  const peers::UnaryCall call{.stream_id = 1, .rpc = "/a.B/C", .request = "x"};
  Buffer whole;
  peers::AppendUnaryCall(whole, call);
  Buffer cut;
  peers::AppendTruncated(cut, call, whole.size() - 1);
  EXPECT_EQ(cut.size(), whole.size() - 1);

  Buffer unfinished;
  peers::AppendUnfinished(unfinished, 2, 1, wire::Kind::kInvoke, Bytes());
  const wire::FrameParse u = wire::ParseFrame(unfinished.view());
  ASSERT_EQ(u.status, wire::ParseStatus::kOk);
  EXPECT_FALSE(u.frame.done);

  Buffer change;
  peers::AppendKindChange(change, 4, "/a.B/C");
  const wire::FrameParse first = wire::ParseFrame(change.view());
  ASSERT_EQ(first.status, wire::ParseStatus::kOk);
  const wire::FrameParse second = wire::ParseFrame(change.view().subspan(first.consumed));
  ASSERT_EQ(second.status, wire::ParseStatus::kOk);
  EXPECT_EQ(first.frame.message_id, second.frame.message_id);
  EXPECT_NE(first.frame.kind, second.frame.kind);
}

TEST(HostileFrames, MetadataOfEveryEncodedSizeHasExactlyThatSize) {
  for (size_t size = 6; size < 20'000; size += (size < 300 ? 1 : 97)) {
    Buffer out;
    wire::EncodeMetadata(out, peers::MetadataOfEncodedSize(size));
    ASSERT_EQ(out.size(), size);
  }
}

// ---- hostile.fixed ------------------------------------------------------------

TEST(HostileSim, FixedPassesEverySeedAndReachesEveryMutationClass) {
  const Scenario& scenario = FindScenario("hostile.fixed");
  // HOSTILE_SIM_SEEDS overrides the sweep (a longer soak).
  const uint64_t seeds = SeedCount("HOSTILE_SIM_SEEDS", 300);
  const testing::SweepTotals totals = testing::SweepExpectingPass(scenario, seeds);
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::cout << totals.runs << " seeds, " << totals.steps << " scheduling steps, " << totals.fibers
            << " fibers\n";
  const peers::BehaviourCounts& tally = hostile::FixedBehaviourTally();
  for (size_t b = 0; b < peers::kBehaviourCount; ++b) {
    const auto behaviour = static_cast<peers::Behaviour>(b);
    std::cout << "  " << peers::BehaviourName(behaviour) << ": " << tally[b] << "\n";
    EXPECT_GT(tally[b], 0u) << "no peer performed " << peers::BehaviourName(behaviour);
  }
}

TEST(HostileSim, AClientAttackedByAHostileServerEndsEveryCallByItsDeadline) {
  const Scenario& scenario = FindScenario("hostile.client.fixed");
  const testing::SweepTotals totals =
      testing::SweepExpectingPass(scenario, SeedCount("HOSTILE_SIM_SEEDS", 1000));
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::cout << totals.runs << " seeds, " << totals.steps << " scheduling steps\n";
}

// (The known failures' runs are replayed by the test below.)
TEST(HostileSim, SameSeedSameTrace) {
  for (const char* name : {"hostile.fixed", "hostile.client.fixed"}) {
    const Scenario& scenario = FindScenario(name);
    for (uint64_t seed = 0; seed < 10; ++seed) {
      const RunResult first = RunSeed(scenario, seed);
      const RunResult second = RunSeed(scenario, seed);
      ASSERT_EQ(first.trace_hash, second.trace_hash) << name << " seed " << seed;
      ASSERT_EQ(first.steps, second.steps) << name << " seed " << seed;
    }
  }
}

TEST(HostileSim, ItsChecksCatchThePlantedHandlerBugs) {
  // A wrong echo reply (the clients' reply check) and a handler that holds
  // Stop (the shutdown check: a deadlock naming the stuck handler).
  for (const char* name : {"hostile.wrong-reply.buggy", "hostile.stuck-handler.buggy"}) {
    const Scenario& scenario = FindScenario(name);
    const std::optional<cli::SeedRun> found =
        testing::FirstFailingSeed(scenario, 0, scenario.find_within_seeds);
    ASSERT_TRUE(found.has_value()) << name;
    EXPECT_EQ(found->result.outcome, scenario.bug_outcome) << Describe(found->result);
    const char* must = found->result.outcome == Outcome::kDeadlock
                           ? "planted: a handler that ignores its call's end"
                           : "echo reply";
    EXPECT_NE(found->result.report.find(must), std::string::npos) << found->result.report;
  }
}

// With the world's faults switched on (as --faults does), the well-behaved
// calls end as the faults allow, some of them with an error, and a wrong
// reply is still caught.
TEST(HostileSim, UnderTheWorldsFaultsCallsEndAsAllowedAndAWrongReplyIsStillCaught) {
  std::string error;
  const std::optional<FaultConfig> faults = FaultConfig::Parse(
      "net.reset:4,net.half-open:4,net.partition:4,net.slow-reader:4,net.refused:4,"
      "net.accept-error:4",
      error);
  ASSERT_TRUE(faults.has_value()) << error;
  Scenario fixed = FindScenario("hostile.fixed");
  fixed.options.faults = *faults;
  const uint64_t before = hostile::FixedFaultedCalls();
  testing::SweepExpectingPass(fixed, SeedCount("HOSTILE_SIM_SEEDS", 200));
  ASSERT_FALSE(::testing::Test::HasFailure());
  EXPECT_GT(hostile::FixedFaultedCalls(), before) << "no fault reached a well-behaved call";
  std::cout << hostile::FixedFaultedCalls() - before
            << " well-behaved calls ended with an error the faults allow\n";

  Scenario buggy = FindScenario("hostile.wrong-reply.buggy");
  buggy.options.faults = *faults;
  const std::optional<cli::SeedRun> found =
      testing::FirstFailingSeed(buggy, 0, buggy.find_within_seeds);
  ASSERT_TRUE(found.has_value());
  EXPECT_NE(found->result.report.find("echo reply"), std::string::npos) << found->result.report;
}

// ---- the known failures ---------------------------------------------------------

TEST(HostileSim, EveryKnownFailureIsFoundWithinItsBoundAndReplays) {
  // Issue 13 turns them into passing scenarios one by one (the timeouts':
  // hostile.slowloris, hostile.idle, hostile.stalled-reader).
  for (const char* fixed : {"hostile.slowloris", "hostile.idle", "hostile.stalled-reader"}) {
    EXPECT_EQ(FindScenario(fixed).expect, Expectation::kPass) << fixed;
  }
  for (const hostile::KnownFailure& known : hostile::KnownFailures()) {
    if (!known.name.ends_with(".known")) continue;  // fixed by issue 13: passes now
    const Scenario& scenario = FindScenario(known.name);
    if (!known.name.ends_with(".known")) {
      // Fixed by issue 13: a passing scenario, swept like the others.
      EXPECT_EQ(scenario.expect, Expectation::kPass) << known.name;
      continue;
    }
    EXPECT_EQ(scenario.expect, Expectation::kFindsBug) << known.name;
    EXPECT_EQ(scenario.description.rfind("known failure (issue 13): ", 0), 0u) << known.name;
    // As drpc-sim runs it, under the strategy that finds it.
    cli::RunSettings settings = testing::SettingsFor(scenario);
    if (known.pct_depth != 0) {
      settings.strategy = cli::Strategy::kPct;
      settings.pct.depth = known.pct_depth;
      settings.pct.steps = cli::LearnRunLength(scenario, settings.options);
    }
    std::optional<cli::SeedRun> found;
    for (uint64_t seed = 0; seed < scenario.find_within_seeds && !found; ++seed) {
      cli::SeedRun run = cli::RunSeed(scenario, seed, settings, false);
      if (run.failed()) found = std::move(run);
    }
    ASSERT_TRUE(found.has_value())
        << known.name << " not found within " << scenario.find_within_seeds << " seeds";
    const RunResult& failure = found->result;
    EXPECT_EQ(failure.outcome, scenario.bug_outcome) << Describe(failure);
    EXPECT_NE(failure.report.find("known failure (issue 13)"), std::string::npos) << failure.report;
    std::cout << known.name << ": seed " << found->seed << "\n  " << failure.report << "\n";
    EXPECT_TRUE(SameRun(cli::RunSeed(scenario, found->seed, settings, false).result, failure))
        << known.name;
  }
}

}  // namespace
}  // namespace drpc::sim
