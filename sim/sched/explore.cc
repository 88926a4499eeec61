#include "sim/sched/explore.h"

#include <algorithm>
#include <string>
#include <vector>

#include "drpc/base/check.h"

namespace drpc::sim {
namespace {

// One choice on the current path of the search tree.
struct PathChoice {
  ChoiceKind kind;
  uint64_t n;
  uint64_t value;
  ChoiceCost cost;
};

std::string Describe(ChoiceKind kind, uint64_t n, ChoiceCost cost) {
  const char* what = cost == ChoiceCost::kPreemption ? " (preemptive)"
                     : cost == ChoiceCost::kFree     ? " (free)"
                                                     : "";
  return std::string(ChoiceKindName(kind)) + " choice among " + std::to_string(n) + what;
}

// Replays the first `prefix` choices of the path, then answers 0 and appends
// each further choice to the path. A request that differs from the recorded
// one (kind, n or cost) means the body is not a function of its choices.
class PrefixSource final : public DecisionSource {
 public:
  PrefixSource(std::vector<PathChoice>& path, size_t prefix) : path_(path), prefix_(prefix) {
    DRPC_ASSERT(prefix <= path.size(), "the prefix is part of the path");
    path_.resize(prefix);
  }

  uint64_t Choose(const ChoiceRequest& request) override {
    const ChoiceCost cost = CostOf(request);
    if (next_ < prefix_) {
      const PathChoice& recorded = path_[next_];
      if (recorded.kind != request.kind || recorded.n != request.n || recorded.cost != cost) {
        ReportDivergence("explore: choice #" + std::to_string(next_ + 1) + " at step " +
                         std::to_string(request.step) + " was a " +
                         Describe(recorded.kind, recorded.n, recorded.cost) +
                         " in an earlier run with the same choices before it, now a " +
                         Describe(request.kind, request.n, cost));
        return 0;
      }
      DRPC_ASSERT(recorded.value < request.n, "explore: prefix value out of range");
      return path_[next_++].value;
    }
    path_.push_back(PathChoice{request.kind, request.n, 0, cost});
    ++next_;
    return 0;
  }

  size_t consumed() const { return next_; }

 private:
  std::vector<PathChoice>& path_;
  const size_t prefix_;
  size_t next_ = 0;
};

bool Bounded(ChoiceCost cost) { return cost != ChoiceCost::kFree; }

// The deepest choice that can take its next option within the bounds, or
// path.size() when the tree below the path's root is exhausted.
size_t DeepestOpen(const std::vector<PathChoice>& path, const ExploreOptions& options) {
  uint64_t preemptions = 0, world = 0;
  size_t open = path.size();
  for (size_t i = 0; i < path.size(); ++i) {
    const PathChoice& c = path[i];
    if (c.value + 1 < c.n) {
      // A choice already off 0 keeps its cost when it moves to its next
      // option; one at 0 needs room in its bound.
      const bool room = c.value > 0 || !Bounded(c.cost) ||
                        (c.cost == ChoiceCost::kPreemption ? preemptions < options.max_preemptions
                                                           : world < options.max_world_choices);
      if (room) open = i;
    }
    if (c.value != 0) {
      preemptions += c.cost == ChoiceCost::kPreemption;
      world += c.cost == ChoiceCost::kWorld;
    }
  }
  DRPC_ASSERT(preemptions <= options.max_preemptions && world <= options.max_world_choices,
              "explore: a run went past its bounds");
  return open;
}

uint32_t Preemptions(const std::vector<PathChoice>& path) {
  uint32_t count = 0;
  for (const PathChoice& c : path) count += c.value != 0 && c.cost == ChoiceCost::kPreemption;
  return count;
}

}  // namespace

ChoiceCost CostOf(const ChoiceRequest& request) {
  switch (request.kind) {
    case ChoiceKind::kSchedule:
      return request.current != kNoFiber && !request.picks_waiter ? ChoiceCost::kPreemption
                                                                  : ChoiceCost::kFree;
    case ChoiceKind::kTime:
      return ChoiceCost::kFree;
    case ChoiceKind::kNet:
    case ChoiceKind::kFault:
    case ChoiceKind::kWorkload:
      return ChoiceCost::kWorld;
  }
  DRPC_ASSERT(false, "unknown ChoiceKind");
}

uint64_t CostCountingSource::Choose(const ChoiceRequest& request) {
  const uint64_t value = inner_.Choose(request);
  if (inner_.diverged()) ReportDivergence(inner_.divergence());
  if (value != 0) {
    const ChoiceCost cost = CostOf(request);
    preemptions_ += cost == ChoiceCost::kPreemption;
    world_ += cost == ChoiceCost::kWorld;
  }
  return value;
}

ExploreResult Explore(const ExploreOptions& options, RunWith run_with) {
  DRPC_ASSERT(options.max_runs >= 1, "explore needs at least one run");
  ExploreResult result;
  std::vector<PathChoice> path;
  size_t prefix = 0;
  while (result.runs < options.max_runs) {
    PrefixSource source(path, prefix);
    RunResult run = run_with(source);
    ++result.runs;
    if (options.progress_every != 0 && result.runs % options.progress_every == 0 &&
        options.progress) {
      options.progress(result.runs);
    }
    result.longest_run_choices = std::max<uint64_t>(result.longest_run_choices, path.size());
    if (run.ok() && source.consumed() < prefix) {
      // The run ended before the choices that led here: not a function of
      // its choices (the scheduler only sees requests that are asked).
      run.outcome = Outcome::kNondeterminism;
      run.report = "explore: a run made " + std::to_string(source.consumed()) +
                   " choices where an earlier run with the same choices made at least " +
                   std::to_string(prefix);
    }
    if (!run.ok()) {
      if (!options.target || options.target(run)) {
        result.failure_preemptions = Preemptions(path);
        result.failure = std::move(run);
        return result;
      }
      ++result.other_failures;
    }
    const size_t open = DeepestOpen(path, options);
    if (open == path.size()) {
      result.exhausted = true;
      return result;
    }
    ++path[open].value;
    prefix = open + 1;
  }
  return result;
}

}  // namespace drpc::sim
