// A sweep survives its findings: thousands of failing, deadlocked runs in
// one process reuse their fibers' stacks instead of keeping them mapped.
// Abandoned stacks used to be quarantined (never reused, two mappings each),
// and a sweep over thousands of deadlocking seeds aborted at the kernel's
// map limit ("mmap of a fiber stack failed", exit 134) before reaching the
// scenarios after it.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "drpc/fiber/stack_pool.h"
#include "drpc/rt/rt.h"
#include "sim/cli/cli.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::sim {
namespace {

// Lines of /proc/self/maps: one per mapping.
size_t MappingCount() {
  std::ifstream maps("/proc/self/maps");
  size_t lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  return lines;
}

// Mappings a process may gain for reasons of its own (malloc arenas, the
// output buffers); a leak of one stack per failing run is thousands.
constexpr size_t kSlack = 64;

// Every run deadlocks: main joins a task parked for good on a condition
// nobody signals, while that task owns heap memory (under LSan it must stay
// reachable through the heap copy of its stack, not reported as a leak).
RunResult Deadlock(uint64_t seed) {
  RandomSource decisions(seed);
  return Run(decisions, RunOptions{}, [] {
    rt::Mutex mu("mu");
    rt::CondVar cv("never signalled");
    rt::Task parked = rt::spawn("parked", [&] {
      auto owned = std::make_unique<std::string>(100, 'x');
      rt::Lock lock(mu);
      cv.wait(lock, "parked for good");
    });
    parked.join();
  });
}

TEST(SweepSurvival, TwentyThousandDeadlocksKeepMappingsFlat) {
  for (uint64_t seed = 0; seed < 100; ++seed) {  // fills the pool
    ASSERT_EQ(Deadlock(seed).outcome, Outcome::kDeadlock);
  }
  const uint64_t mapped = fiber::StackPool::ForThisThread().mapped_total();
  const size_t mappings = MappingCount();
  uint64_t abandoned = 0;
  for (uint64_t seed = 100; seed < 20'100; ++seed) {
    const RunResult r = Deadlock(seed);
    ASSERT_EQ(r.outcome, Outcome::kDeadlock) << "seed " << seed << "\n" << r.report;
    abandoned += r.abandoned_stacks;
  }
  EXPECT_EQ(abandoned, 40'000u);  // main and "parked", every run
  EXPECT_EQ(fiber::StackPool::ForThisThread().mapped_total(), mapped);
  EXPECT_LE(MappingCount(), mappings + kSlack);
}

// The command line: a sweep over a scenario that deadlocks on every seed
// reports every failing seed (all in the JSONL file) and exits 1, not 134.
// 5,000 seeds here (about 2 s); the README of sim/sched quotes 20,000 from
// the command line.
TEST(SweepSurvival, CliSweepOverAlwaysDeadlockingSeedsReportsThemAll) {
  const std::string jsonl = ::testing::TempDir() + "sweep_survival.jsonl";
  const auto run = [&](uint64_t seeds) {
    std::ostringstream out, err;
    const int rc =
        cli::SimMain({"drpc-sim", "sweep", "--scenario", "manager.hol.known-limit", "--seeds",
                      std::to_string(seeds), "--no-save-log", "--jsonl", jsonl},
                     out, err, [](const char*) -> const char* { return nullptr; });
    EXPECT_EQ(rc, cli::kExitFailureFound) << out.str() << err.str();
    EXPECT_NE(
        out.str().find(std::to_string(seeds) + " FAILED (deadlock: " + std::to_string(seeds) + ")"),
        std::string::npos)
        << out.str();
  };
  run(50);  // fills the pool
  const size_t mappings = MappingCount();
  constexpr uint64_t kSeeds = 5'000;
  run(kSeeds);
  EXPECT_LE(MappingCount(), mappings + kSlack);
  std::ifstream file(jsonl);
  uint64_t failures = 0;
  for (std::string line; std::getline(file, line);) {
    failures += line.find("\"record\":\"failure\"") != std::string::npos;
  }
  EXPECT_EQ(failures, kSeeds);
}

}  // namespace
}  // namespace drpc::sim
