// PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte: "A randomized scheduler with probabilistic guarantees of
// finding bugs", ASPLOS 2010), as a decision source.
//
//   sim::PctSource decisions(seed, sim::PctOptions{.depth = 3, .steps = 2000});
//   sim::RunResult r = sim::Run(decisions, options, body);
//
// Every fiber gets a random priority the first time the source sees it; at
// every schedule choice the runnable fiber with the highest priority runs.
// At depth - 1 change points, steps drawn uniformly from [0, steps), the
// fiber about to run drops below every other fiber (the i-th drawn change
// point gives it priority i, below every initial priority). For a run of at most
// `steps` steps with n fibers, a bug that needs d ordering constraints is
// found by one run with probability at least 1 / (n * steps^(d-1)): no
// random scheduler gives that for d > 1, and the bound holds run after run.
//
// `steps` is an estimate of the run length; drivers learn it from a first
// random run (too small leaves the tail without change points, too large
// wastes some past the end). A change point whose step was not asked (a
// forced move) applies at the next schedule choice.
//
// Which waiter a notify_one or a mutex release wakes is also decided by
// priority (WaiterPolicy::kPriority, the default): the waiter order is then
// one more ordering constraint covered by the random priorities, as in the
// paper's model where the woken thread is whichever the priorities favour,
// and it keeps a run a function of (priorities, change points) alone. The
// alternative, kRandom, draws each pick; tests/search measures both on the
// planted bugs (sim/sched/README.md has the numbers).
//
// Same-instant timer order (kTime) and net, fault and workload choices are
// uniform draws. Priorities, change points and those draws come from three
// independent xoshiro256** streams split from the seed, so a run is a pure
// function of (seed, options), and the number of world choices a run makes
// does not shift the priorities.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "sim/sched/decision.h"
#include "sim/sched/random_source.h"

namespace drpc::sim {

enum class WaiterPolicy : uint8_t { kPriority, kRandom };

struct PctOptions {
  // d: priority change points + 1. Depth 1 never lowers a priority.
  uint32_t depth = 3;
  // k: estimated run length in scheduling steps (>= 1).
  uint64_t steps = 1000;
  WaiterPolicy waiters = WaiterPolicy::kPriority;
};

inline constexpr uint32_t kMaxPctDepth = 64;

class PctSource final : public DecisionSource {
 public:
  // Asserts 1 <= depth <= kMaxPctDepth and steps >= 1.
  PctSource(uint64_t seed, const PctOptions& options);

  uint64_t Choose(const ChoiceRequest& request) override;

  // The steps of the change points, in the order they apply.
  std::vector<uint64_t> ChangeSteps() const;
  // Change points applied so far.
  uint32_t changes_applied() const { return next_change_; }
  // A fiber's current priority, once the source has seen it (higher runs
  // first; values below depth are lowered ones).
  std::optional<uint64_t> PriorityOf(FiberId fiber) const;

 private:
  struct ChangePoint {
    uint64_t step;
    uint64_t priority;  // 1 .. depth - 1
  };

  uint64_t Priority(FiberId fiber);  // assigns one on first sight
  size_t Highest(std::span<const FiberId> candidates);

  PctOptions options_;
  Xoshiro256 priority_rng_;
  Xoshiro256 world_rng_;
  std::vector<ChangePoint> changes_;  // sorted by step
  uint32_t next_change_ = 0;
  std::vector<uint64_t> priorities_;  // index = FiberId - 1; 0 = not seen yet
};

}  // namespace drpc::sim
