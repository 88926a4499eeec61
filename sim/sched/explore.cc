#include "sim/sched/explore.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "drpc/base/check.h"
#include "sim/sched/step_footprint.h"
#include "sim/sched/step_observer.h"

namespace drpc::sim {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

// A fiber a choice must not pick, and what its next stretch touches.
struct Asleep {
  FiberId fiber;
  Footprint footprint;
};

// One choice on the current path of the search tree.
struct PathChoice {
  ChoiceKind kind;
  uint64_t n;
  uint64_t value;
  ChoiceCost cost;
  // Sleep sets: who-runs choices only (not waiter picks), reduction on.
  bool sleepy = false;
  std::vector<FiberId> candidates;
  // Candidates whose stretch commutes with everything run since a sibling
  // branch ran it first: picking them here repeats a run already made.
  std::vector<FiberId> asleep;
  // The options tried here before `value`, with what their stretch touched.
  std::vector<Asleep> done;
  // What the stretch after this choice touched, in the current run.
  Footprint stretch;

  bool IsAsleep(uint64_t option) const {
    return sleepy && std::find(asleep.begin(), asleep.end(), candidates[option]) != asleep.end();
  }
  // The first option after `from` that is not asleep (n: none).
  uint64_t NextAwake(uint64_t from) const {
    uint64_t option = from + 1;
    while (option < n && IsAsleep(option)) ++option;
    return option;
  }
};

std::string Describe(ChoiceKind kind, uint64_t n, ChoiceCost cost) {
  const char* what = cost == ChoiceCost::kPreemption ? " (preemptive)"
                     : cost == ChoiceCost::kFree     ? " (free)"
                                                     : "";
  return std::string(ChoiceKindName(kind)) + " choice among " + std::to_string(n) + what;
}

// Replays the first `prefix` choices of the path, then answers 0 (or, with
// sleep sets, the first option not asleep) and appends each further choice
// to the path. A request that differs from the recorded one (kind, n or
// cost) means the body is not a function of its choices.
//
// With a recorder (sleep sets, Godefroid 1996): at each who-runs choice the
// source closes the stretch since the previous one and carries the sleep
// set forward: a fiber stays asleep while every stretch run meanwhile
// commutes with its own. When every option within the bounds is asleep the
// run is redundant from there on: it goes on with 0s and nothing below that
// choice is explored.
class PrefixSource final : public DecisionSource {
 public:
  PrefixSource(std::vector<PathChoice>& path, size_t prefix, const ExploreOptions& options,
               FootprintRecorder* recorder)
      : path_(path), prefix_(prefix), options_(options), recorder_(recorder) {
    DRPC_ASSERT(prefix <= path.size(), "the prefix is part of the path");
    path_.resize(prefix);
  }

  uint64_t Choose(const ChoiceRequest& request) override {
    const ChoiceCost cost = CostOf(request);
    const bool sleepy = recorder_ != nullptr && blocked_at_ == kNone &&
                        request.kind == ChoiceKind::kSchedule && !request.picks_waiter;
    // Any other choice inside a stretch makes it a tree of stretches: no
    // single footprint stands for it.
    if (recorder_ != nullptr && !sleepy) recorder_->MarkEverything();
    if (sleepy) CloseStretch(request.candidates);
    uint64_t value = 0;
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
      value = recorded.value;
      if (sleepy) NoteSleepers(path_[next_], request.candidates);
    } else {
      path_.push_back(PathChoice{request.kind, request.n, 0, cost});
      if (sleepy) {
        PathChoice& choice = path_.back();
        NoteSleepers(choice, request.candidates);
        if (choice.IsAsleep(0)) {
          // Option 0 is asleep: the first awake option, if the bound lets
          // this choice leave 0.
          const bool room =
              cost != ChoiceCost::kPreemption || preemptions_ < options_.max_preemptions;
          const uint64_t awake = room ? choice.NextAwake(0) : request.n;
          if (awake < request.n) {
            value = awake;
          } else {
            blocked_at_ = next_;
          }
        }
        choice.value = value;
      }
    }
    if (value != 0 && cost == ChoiceCost::kPreemption) ++preemptions_;
    if (sleepy) {
      recorder_->Begin(request.candidates[value]);
      last_sleepy_ = next_;
    }
    ++next_;
    return value;
  }

  // After the run: closes the last stretch.
  void Finish() {
    if (recorder_ != nullptr && last_sleepy_ != kNone && blocked_at_ == kNone) {
      path_[last_sleepy_].stretch = recorder_->Take();
    }
  }

  size_t consumed() const { return next_; }
  // Choices at or after this index are not to be explored (the run was
  // redundant from there); the path's size when none is.
  size_t open_limit() const { return blocked_at_ == kNone ? path_.size() : blocked_at_; }

 private:
  void NoteSleepers(PathChoice& choice, std::span<const FiberId> candidates) {
    choice.sleepy = true;
    choice.candidates.assign(candidates.begin(), candidates.end());
    choice.asleep.clear();
    for (const Asleep& z : sleeping_) {
      if (std::find(candidates.begin(), candidates.end(), z.fiber) != candidates.end()) {
        choice.asleep.push_back(z.fiber);
      }
    }
  }

  // The stretch since the previous who-runs choice is over: record it and
  // carry the sleep set across it.
  void CloseStretch(std::span<const FiberId> candidates) {
    Footprint stretch = recorder_->Take();
    if (last_sleepy_ == kNone) return;
    PathChoice& last = path_[last_sleepy_];
    const FiberId ran = last.candidates[last.value];
    std::vector<Asleep> still;
    auto carry = [&](const Asleep& z) {
      if (z.fiber != ran && z.footprint.CommutesWith(stretch) &&
          std::find(candidates.begin(), candidates.end(), z.fiber) != candidates.end()) {
        still.push_back(z);
      }
    };
    for (const Asleep& z : sleeping_) carry(z);
    for (const Asleep& z : last.done) carry(z);
    sleeping_ = std::move(still);
    last.stretch = std::move(stretch);
  }

  std::vector<PathChoice>& path_;
  const size_t prefix_;
  const ExploreOptions& options_;
  FootprintRecorder* const recorder_;
  size_t next_ = 0;
  uint64_t preemptions_ = 0;
  size_t last_sleepy_ = kNone;
  size_t blocked_at_ = kNone;
  std::vector<Asleep> sleeping_;
};

bool Bounded(ChoiceCost cost) { return cost != ChoiceCost::kFree; }

struct Open {
  size_t index;    // path.size(): the tree below the path's root is exhausted
  uint64_t value;  // the option to take there next
};

// The deepest choice before `limit` that can take a further option (not
// asleep) within the bounds.
Open DeepestOpen(const std::vector<PathChoice>& path, size_t limit, const ExploreOptions& options) {
  uint64_t preemptions = 0, world = 0;
  Open open{path.size(), 0};
  for (size_t i = 0; i < limit; ++i) {
    const PathChoice& c = path[i];
    const uint64_t next = c.NextAwake(c.value);
    if (next < c.n) {
      // A choice already off 0 keeps its cost when it moves to its next
      // option; one at 0 needs room in its bound.
      const bool room = c.value > 0 || !Bounded(c.cost) ||
                        (c.cost == ChoiceCost::kPreemption ? preemptions < options.max_preemptions
                                                           : world < options.max_world_choices);
      if (room) open = Open{i, next};
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
  FootprintRecorder recorder;
  std::optional<ScopedStepObserver> observing;
  if (options.sleep_sets) observing.emplace(recorder);
  while (result.runs < options.max_runs) {
    recorder.Reset();
    PrefixSource source(path, prefix, options, options.sleep_sets ? &recorder : nullptr);
    RunResult run = run_with(source);
    source.Finish();
    ++result.runs;
    if (source.open_limit() < path.size()) ++result.redundant_runs;
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
    const Open open = DeepestOpen(path, source.open_limit(), options);
    if (open.index == path.size()) {
      result.exhausted = true;
      return result;
    }
    PathChoice& choice = path[open.index];
    if (choice.sleepy) {
      choice.done.push_back(Asleep{choice.candidates[choice.value], std::move(choice.stretch)});
    }
    choice.value = open.value;
    prefix = open.index + 1;
  }
  return result;
}

}  // namespace drpc::sim
