// The library's fault sites in the simulator (drpc/rt/fault.h): each fires
// only when the run's configuration enables it, and a swarm run draws its
// configuration from the tape, so a seed or a replayed log gives the same
// faults and the same trace.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>

#include "drpc/rt/condvar.h"
#include "drpc/rt/fault.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "sim/sched/fault_config.h"
#include "sim/sched/random_source.h"
#include "sim/sched/replay_source.h"
#include "sim/sched/run.h"

namespace drpc::sim {
namespace {

using namespace std::chrono_literals;

RunOptions WithFaults(const char* text) {
  std::string error;
  std::optional<FaultConfig> faults = FaultConfig::Parse(text, error);
  EXPECT_TRUE(faults.has_value()) << error;
  RunOptions options;
  options.faults = faults.value_or(FaultConfig{});
  return options;
}

// How a wait with no notify and a 1 ms deadline ends.
rt::WaitStatus LonelyWait(const RunOptions& options) {
  rt::WaitStatus status = rt::WaitStatus::kTimeout;
  RandomSource decisions(1);
  const RunResult r = sim::Run(decisions, options, [&] {
    rt::Mutex mu("mu");
    rt::CondVar cv("cv");
    rt::Lock lock(mu);
    status = cv.wait_until(lock, rt::now() + 1ms, "nobody notifies");
  });
  EXPECT_TRUE(r.ok()) << r.report;
  return status;
}

TEST(FaultSites, SpuriousWakeupsOnlyWhenEnabled) {
  EXPECT_EQ(LonelyWait(RunOptions{}), rt::WaitStatus::kTimeout);
  EXPECT_EQ(LonelyWait(WithFaults("rt.spawn-failure:1")), rt::WaitStatus::kTimeout);
  EXPECT_EQ(LonelyWait(WithFaults("rt.spurious-wakeup:1")), rt::WaitStatus::kNotified);
}

TEST(FaultSites, TrySpawnFailsOnlyWhenEnabledAndSpawnNever) {
  for (const char* faults : {"none", "rt.spurious-wakeup:1", "rt.spawn-failure:1"}) {
    const bool on = std::string(faults) == "rt.spawn-failure:1";
    RandomSource decisions(7);
    const RunResult r = sim::Run(decisions, WithFaults(faults), [&] {
      bool ran = false;
      Result<rt::Task> task = rt::TrySpawn("try", [&] { ran = true; });
      EXPECT_EQ(task.ok(), !on) << faults;
      if (task.ok()) {
        task->join();
        EXPECT_TRUE(ran);
      } else {
        EXPECT_EQ(task.status().code(), StatusCode::kResourceExhausted) << task.status();
        EXPECT_FALSE(ran) << "a task that failed to start ran";
      }
      // Code that cannot handle the failure uses spawn, which the site spares.
      rt::Task plain = rt::spawn("plain", [] {});
      plain.join();
    });
    EXPECT_TRUE(r.ok()) << faults << ": " << r.report;
  }
}

TEST(FaultSites, AnOffSiteAsksNothing) {
  // A configuration naming other sites leaves a run's choices and trace as
  // they are without faults.
  auto run = [](const RunOptions& options) {
    RandomSource decisions(3);
    return sim::Run(decisions, options, [] {
      rt::Mutex mu("mu");
      rt::CondVar cv("cv");
      rt::Lock lock(mu);
      (void)cv.wait_until(lock, rt::now() + 1ms, "wait");
      lock.unlock();
      Result<rt::Task> t = rt::TrySpawn("t", [] {});
      t->join();
    });
  };
  const RunResult plain = run(RunOptions{});
  const RunResult other = run(WithFaults("manager.short-write:1,rpc.accept-error:1"));
  EXPECT_EQ(plain.trace_hash, other.trace_hash);
  EXPECT_EQ(plain.choice_log.size(), other.choice_log.size());
}

TEST(FaultConfigText, ParsesWhatItPrintsAndRejectsBadInput) {
  std::string error;
  std::optional<FaultConfig> c = FaultConfig::Parse("rpc.accept-error:3,rt.spurious-wakeup", error);
  ASSERT_TRUE(c.has_value()) << error;
  EXPECT_EQ(c->ToString(), "rt.spurious-wakeup:8,rpc.accept-error:3") << "kind order, default 8";
  EXPECT_EQ(FaultConfig::Parse(c->ToString(), error), c);
  std::optional<FaultConfig> all = FaultConfig::Parse("all:2", error);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->entries().size(), FaultKinds().size());
  EXPECT_TRUE(FaultConfig::Parse("none", error)->empty());
  EXPECT_FALSE(FaultConfig::Parse("rt.nope", error).has_value());
  EXPECT_NE(error.find("unknown fault 'rt.nope'"), std::string::npos) << error;
  EXPECT_FALSE(FaultConfig::Parse("rt.spurious-wakeup:0", error).has_value());
  EXPECT_FALSE(FaultConfig::Parse("rt.spurious-wakeup:x", error).has_value());
  EXPECT_FALSE(FaultConfig::Parse("rt.spurious-wakeup:", error).has_value());
}

// A body whose trace depends on the faults: waits and spawns.
void FaultyBody() {
  rt::Mutex mu("mu");
  rt::CondVar cv("cv");
  for (int i = 0; i < 8; ++i) {
    rt::Lock lock(mu);
    (void)cv.wait_until(lock, rt::now() + 1ms, "wait");
    lock.unlock();
    Result<rt::Task> t = rt::TrySpawn("t", [] {});
    if (t.ok()) t->join();
  }
}

TEST(Swarm, EachSeedDrawsItsConfigurationDeterministicallyAndReplays) {
  RunOptions options;
  options.swarm = true;
  std::set<std::string> drawn;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    RandomSource first_source(seed), second_source(seed);
    const RunResult first = sim::Run(first_source, options, FaultyBody);
    const RunResult second = sim::Run(second_source, options, FaultyBody);
    ASSERT_TRUE(first.ok()) << first.report;
    EXPECT_EQ(first.faults, second.faults) << "seed " << seed;
    EXPECT_EQ(first.trace_hash, second.trace_hash) << "seed " << seed;
    drawn.insert(first.faults.ToString());
    // The draw is on the tape: replaying the choices draws it again.
    ReplaySource replay(first.choice_log);
    const RunResult replayed = sim::Run(replay, options, FaultyBody);
    EXPECT_EQ(replayed.faults, first.faults) << "seed " << seed;
    EXPECT_EQ(replayed.trace_hash, first.trace_hash) << "seed " << seed;
    // Every drawn kind is a known kind at a swarm rate.
    for (const FaultConfig::Entry& e : first.faults.entries()) {
      EXPECT_NE(std::find(std::begin(kSwarmOneIn), std::end(kSwarmOneIn), e.one_in),
                std::end(kSwarmOneIn));
    }
  }
  EXPECT_GE(drawn.size(), 8u) << "40 seeds should draw many configurations";
}

TEST(Swarm, DrawsOnlyFromItsPool) {
  RunOptions options = WithFaults("rt.spurious-wakeup");
  options.swarm = true;
  bool saw_on = false;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    RandomSource source(seed);
    const RunResult r = sim::Run(source, options, FaultyBody);
    ASSERT_TRUE(r.ok()) << r.report;
    for (const FaultConfig::Entry& e : r.faults.entries()) {
      EXPECT_EQ(e.name, "rt.spurious-wakeup");
      saw_on = true;
    }
  }
  EXPECT_TRUE(saw_on);
}

}  // namespace
}  // namespace drpc::sim
