#include "sim/sched/pct_source.h"

#include <algorithm>

#include "drpc/base/check.h"

namespace drpc::sim {
namespace {

// Initial priorities live above every lowered one (1 .. depth - 1) and
// above 0, which marks a fiber not seen yet. 63 random bits make ties
// vanishingly rare; Highest breaks them by fiber id, so even a tie is
// deterministic.
constexpr uint64_t kInitialPriorityBit = uint64_t{1} << 63;

// Fiber ids are dense per run (1, 2, 3...); this bounds the table against a
// source fed a corrupt request.
constexpr FiberId kMaxFiberId = 10'000'000;

}  // namespace

PctSource::PctSource(uint64_t seed, const PctOptions& options)
    : options_(options),
      // Three streams split from the seed (SplitMix64 outputs are unrelated
      // seeds), so priorities, change points and world draws don't shift
      // each other.
      priority_rng_(SplitMix64(seed).Next()),
      world_rng_([seed] {
        SplitMix64 split(seed);
        split.Next();
        return split.Next();
      }()) {
  DRPC_ASSERT(options.depth >= 1 && options.depth <= kMaxPctDepth,
              "PCT depth must be in [1, " + std::to_string(kMaxPctDepth) + "]");
  DRPC_ASSERT(options.steps >= 1, "PCT needs an estimated run length of at least one step");
  SplitMix64 split(seed);
  split.Next();
  split.Next();
  Xoshiro256 change_rng(split.Next());
  changes_.reserve(options.depth - 1);
  // The paper's labels: the i-th drawn change point gives priority i. The
  // steps are independent draws, so which label lands first is random too.
  for (uint32_t i = 1; i < options.depth; ++i) {
    changes_.push_back(ChangePoint{change_rng.Below(options.steps), i});
  }
  std::stable_sort(changes_.begin(), changes_.end(),
                   [](const ChangePoint& a, const ChangePoint& b) { return a.step < b.step; });
}

uint64_t PctSource::Choose(const ChoiceRequest& request) {
  DRPC_ASSERT(request.n >= 2, "a decision needs at least two options");
  switch (request.kind) {
    case ChoiceKind::kSchedule:
      DRPC_ASSERT(request.candidates.size() == request.n, "schedule choices list their fibers");
      if (request.picks_waiter) {
        if (options_.waiters == WaiterPolicy::kRandom) return world_rng_.Below(request.n);
        return Highest(request.candidates);
      }
      // Every change point due by now lowers the fiber that would run next.
      while (next_change_ < changes_.size() && changes_[next_change_].step <= request.step) {
        const FiberId top = request.candidates[Highest(request.candidates)];
        priorities_[top - 1] = changes_[next_change_].priority;
        ++next_change_;
      }
      return Highest(request.candidates);
    case ChoiceKind::kTime:
    case ChoiceKind::kNet:
    case ChoiceKind::kFault:
    case ChoiceKind::kWorkload:
      return world_rng_.Below(request.n);
  }
  DRPC_ASSERT(false, "unknown ChoiceKind");
}

uint64_t PctSource::Priority(FiberId fiber) {
  DRPC_ASSERT(fiber != kNoFiber && fiber <= kMaxFiberId, "PCT candidates are real fibers");
  if (fiber > priorities_.size()) priorities_.resize(fiber, 0);
  uint64_t& priority = priorities_[fiber - 1];
  // First sight: a uniformly random place among the fibers seen so far.
  if (priority == 0) priority = kInitialPriorityBit | (priority_rng_.Next() >> 1);
  return priority;
}

size_t PctSource::Highest(std::span<const FiberId> candidates) {
  size_t best = 0;
  uint64_t best_priority = Priority(candidates[0]);
  for (size_t i = 1; i < candidates.size(); ++i) {
    const uint64_t priority = Priority(candidates[i]);
    if (priority > best_priority ||
        (priority == best_priority && candidates[i] < candidates[best])) {
      best = i;
      best_priority = priority;
    }
  }
  return best;
}

std::vector<uint64_t> PctSource::ChangeSteps() const {
  std::vector<uint64_t> steps;
  for (const ChangePoint& change : changes_) steps.push_back(change.step);
  return steps;
}

std::optional<uint64_t> PctSource::PriorityOf(FiberId fiber) const {
  if (fiber == kNoFiber || fiber > priorities_.size() || priorities_[fiber - 1] == 0) {
    return std::nullopt;
  }
  return priorities_[fiber - 1];
}

}  // namespace drpc::sim
