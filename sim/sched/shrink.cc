#include "sim/sched/shrink.h"

#include <algorithm>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "sim/sched/explore.h"
#include "sim/sched/input_source.h"

namespace drpc::sim {
namespace {

using Values = std::vector<uint64_t>;

// A log's values without the trailing zeros: the lenient source answers 0
// once the values run out, so those say nothing.
Values Significant(const ChoiceLog& log) {
  Values values;
  values.reserve(log.size());
  for (const ChoiceRecord& choice : log) values.push_back(choice.value);
  while (!values.empty() && values.back() == 0) values.pop_back();
  return values;
}

void TrimZeros(Values& values) {
  while (!values.empty() && values.back() == 0) values.pop_back();
}

uint64_t Nonzero(const Values& values) {
  return static_cast<uint64_t>(
      std::count_if(values.begin(), values.end(), [](uint64_t v) { return v != 0; }));
}

// The shrink order: fewer non-zero values (each one is a departure from the
// default story a reader must follow), then fewer choices, then
// lexicographically smaller. Well founded (two naturals, then a
// lexicographic order on vectors of one length), so shrinking ends.
// (Putting preemptions first was tried: it rejects too many cuts that pay
// off later, and ends with more preemptions, not fewer.)
bool Simpler(const Values& a, const Values& b) {
  const uint64_t nonzero_a = Nonzero(a), nonzero_b = Nonzero(b);
  if (nonzero_a != nonzero_b) return nonzero_a < nonzero_b;
  if (a.size() != b.size()) return a.size() < b.size();
  return a < b;
}

// Net, fault and workload choices answered from a fixed list (the k-th such
// request gets the k-th value, mod n; 0 past the end), schedule and time
// choices by the wrapped source: the workload of a failing run held still
// while the explorer varies its schedule.
class PinnedWorldSource final : public DecisionSource {
 public:
  PinnedWorldSource(DecisionSource& schedule, const Values& world)
      : schedule_(schedule), world_(world) {}

  uint64_t Choose(const ChoiceRequest& request) override {
    if (CostOf(request) != ChoiceCost::kWorld) {
      const uint64_t value = schedule_.Choose(request);
      if (schedule_.diverged()) ReportDivergence(schedule_.divergence());
      return value;
    }
    const uint64_t value = next_ < world_.size() ? world_[next_] % request.n : 0;
    ++next_;
    return value;
  }

 private:
  DecisionSource& schedule_;
  const Values& world_;
  size_t next_ = 0;
};

uint64_t HashValues(const Values& values) {
  uint64_t h = 0xcbf29ce484222325ull ^ values.size();
  for (uint64_t v : values) h = (h ^ v) * 0x100000001b3ull + (h >> 29);
  return h;
}

class Shrinker {
 public:
  Shrinker(const ShrinkOptions& options, RunWith run_with, ShrinkResult& result)
      : options_(options), run_with_(run_with), result_(result) {}

  // Reruns the log as given; false if it does not fail.
  bool Start(const ChoiceLog& failing) {
    Values values;
    values.reserve(failing.size());
    for (const ChoiceRecord& choice : failing) values.push_back(choice.value);
    uint64_t preemptions = 0;
    result_.original = RunLenient(values, preemptions);
    if (result_.original.ok()) return false;
    result_.signature = FailureSignature::Of(result_.original);
    result_.before = SizeOf(result_.original, preemptions);
    result_.shrunk = result_.original;
    shrunk_ = Significant(result_.original.choice_log);
    shrunk_preemptions_ = preemptions;
    RunResult first = result_.original;
    Adopt(first, preemptions);
    return true;
  }

  void Run() {
    Passes();
    // The simplest run found may be one that cannot be reported (its trace
    // is longer than the original's: cutting a tail leaves a cooperative
    // one, and that often runs longer). Then shrink again from the simplest
    // reportable run, keeping only reportable runs.
    if (result_.runs < options_.max_runs && !best_reportable_) {
      reportable_only_ = true;
      best_run_ = result_.shrunk;
      best_ = shrunk_;
      best_preemptions_ = shrunk_preemptions_;
      best_reportable_ = true;
      tried_.clear();  // those were judged against another best
      Passes();
    }
    result_.hit_run_bound = result_.runs >= options_.max_runs;
    result_.after = SizeOf(result_.shrunk, shrunk_preemptions_);
  }

 private:
  // The cheap passes run in rounds until a round makes no progress; then
  // the costly search for fewer preemptions, and if it finds a simpler run,
  // the cheap passes again. Zeroing comes before deleting: it keeps the
  // later choices where they are, so on a long log its big chunks are the
  // cheap big win (deleting first spent most of the budget on logs of
  // thousands of choices).
  void Passes() {
    do {
      for (bool progress = true; progress && !out_of_runs();) {
        progress = Cooperative();
        progress = CutTail() || progress;
        progress = ZeroChunks() || progress;
        progress = DeleteChunks() || progress;
        progress = ZeroNeighbours() || progress;
        progress = LowerValues() || progress;
      }
    } while (!out_of_runs() && FewerPreemptions());
  }

  bool Reportable(const RunResult& run, uint64_t preemptions) const {
    return run.steps <= result_.before.steps && preemptions <= result_.before.preemptions;
  }

  bool out_of_runs() const {
    if (result_.runs >= options_.max_runs) return true;
    // The first round gives up once its best run is too long to report and
    // a quarter of the budget has gone by without a better reportable run:
    // the second round (see Run) needs the rest.
    return !reportable_only_ && !best_reportable_ &&
           result_.runs - reported_at_ > options_.max_runs / 4;
  }

  RunResult RunLenient(const Values& values, uint64_t& preemptions) {
    DRPC_ASSERT(!out_of_runs(), "shrink: past its run bound");
    ++result_.runs;
    IntSource lenient(values);
    CostCountingSource counting(lenient);
    RunResult run = run_with_(counting);
    preemptions = counting.preemptions();
    return run;
  }

  static ChoiceLogSize SizeOf(const RunResult& run, uint64_t preemptions) {
    const Values significant = Significant(run.choice_log);
    return ChoiceLogSize{run.choice_log.size(), significant.size(), Nonzero(significant),
                         preemptions, run.steps};
  }

  // The search goes on from the simplest run so far, even one whose trace
  // is longer than the original's (a shorter significant part can leave a
  // longer cooperative tail, and later cuts often remove it); the result is
  // the simplest run whose trace is no longer.
  void Adopt(RunResult& run, uint64_t preemptions) {
    best_ = Significant(run.choice_log);
    best_preemptions_ = preemptions;
    best_run_ = std::move(run);
    best_reportable_ = Reportable(best_run_, preemptions);
    Report(best_run_, best_, preemptions);
  }

  // What is reported is the simplest of all the runs that failed the same
  // way, adopted or not (a run rejected as no simpler than the best can
  // still beat the simplest reportable one), that never reads worse than
  // the original: no more steps and no more preemptions (the order above
  // does not promise either).
  void Report(const RunResult& run, const Values& significant, uint64_t preemptions) {
    if (!Reportable(run, preemptions)) return;
    if (!Simpler(significant, shrunk_)) return;
    result_.shrunk = run;
    reported_at_ = result_.runs;
    shrunk_ = significant;
    shrunk_preemptions_ = preemptions;
  }

  // Runs `candidate` if it is simpler than the best and new; keeps its run
  // if it fails the same way and its own choices are simpler still.
  bool Try(Values candidate) {
    TrimZeros(candidate);
    if (!Simpler(candidate, best_) || out_of_runs()) return false;
    if (!tried_.insert(HashValues(candidate)).second) return false;
    uint64_t preemptions = 0;
    RunResult run = RunLenient(candidate, preemptions);
    return AdoptIfSimpler(run, preemptions);
  }

  bool AdoptIfSimpler(RunResult& run, uint64_t preemptions) {
    if (!result_.signature.Matches(run)) return false;
    if (reportable_only_ && !Reportable(run, preemptions)) return false;
    const Values significant = Significant(run.choice_log);
    if (!Simpler(significant, best_)) {
      Report(run, significant, preemptions);
      return false;
    }
    Adopt(run, preemptions);
    return true;
  }

  // The best run's world (net, fault and workload choices) under the
  // cooperative schedule: one run, explore's level 0 below. Many failures
  // come from the world alone (a crash, a reset, a message size), and a
  // schedule's preemptions are what the other passes find hardest to remove
  // (each one shifts the later choices), so this is tried first and after
  // every round.
  bool Cooperative() {
    if (best_preemptions_ == 0 || out_of_runs()) return false;
    const Values world = WorldOf(best_run_);
    if (!tried_world_.insert(HashValues(world)).second) return false;
    ++result_.runs;
    IntSource cooperative(Values{});
    PinnedWorldSource pinned(cooperative, world);
    CostCountingSource counting(pinned);
    RunResult run = run_with_(counting);
    return AdoptIfSimpler(run, counting.preemptions());
  }

  static Values WorldOf(const RunResult& run) {
    Values world;
    for (const ChoiceRecord& choice : run.choice_log) {
      if (choice.kind != ChoiceKind::kSchedule && choice.kind != ChoiceKind::kTime) {
        world.push_back(choice.value);
      }
    }
    return world;
  }

  // Deleting and lowering choices one place at a time rarely removes a
  // preemption whose removal shifts every later choice. So, as CHESS does,
  // search for the same failure with 0, 1, ... preemptions (bounded
  // exhaustive search, sim/sched/explore.h), holding the failing run's
  // workload (its net, fault and workload choices) still. Takes at most a
  // quarter of the run budget per call; a level that does not finish within
  // it ends the pass, since higher levels are larger still.
  bool FewerPreemptions() {
    if (best_preemptions_ == 0 || out_of_runs()) return false;
    const Values world = WorldOf(best_run_);
    uint64_t budget = std::min(options_.max_runs - result_.runs, options_.max_runs / 4 + 1);
    for (uint32_t bound = 0; bound < best_preemptions_ && budget > 0; ++bound) {
      ExploreOptions explore;
      explore.max_preemptions = bound;
      explore.max_runs = budget;
      explore.target = [this](const RunResult& run) { return result_.signature.Matches(run); };
      const ExploreResult found = Explore(explore, [&](DecisionSource& schedule) {
        PinnedWorldSource pinned(schedule, world);
        return run_with_(pinned);
      });
      result_.runs += found.runs;
      budget -= found.runs;
      if (found.failure) {
        RunResult run = *found.failure;
        return AdoptIfSimpler(run, found.failure_preemptions);
      }
      if (!found.exhausted) return false;
    }
    return false;
  }

  // The shortest prefix that still fails (binary search; failing is not
  // monotone in the length, so this finds a short one, not the shortest).
  bool CutTail() {
    bool progress = false;
    size_t low = 0;  // prefixes shorter than this were seen to pass
    while (low < best_.size() && !out_of_runs()) {
      const size_t mid = low + (best_.size() - low) / 2;
      if (Try(Values(best_.begin(), best_.begin() + static_cast<ptrdiff_t>(mid)))) {
        progress = true;
      } else {
        low = mid + 1;
      }
    }
    return progress;
  }

  // Chunks of size best/2, best/4, ..., 1, from the end backwards (later
  // choices depend on earlier ones, so cutting late first keeps the early
  // structure that the failure needs).
  template <class Edit>
  bool ForEachChunk(Edit edit) {
    bool progress = false;
    for (size_t size = std::max<size_t>(1, best_.size() / 2); !out_of_runs(); size /= 2) {
      for (size_t end = best_.size(); end >= size && !out_of_runs();) {
        const size_t begin = end - size;
        if (edit(begin, end)) {
          progress = true;
          end = std::min(begin + size, best_.size());  // try the same place again
        } else {
          end = begin;
        }
      }
      if (size == 1) break;
    }
    return progress;
  }

  bool DeleteChunks() {
    return ForEachChunk([this](size_t begin, size_t end) {
      Values candidate = best_;
      candidate.erase(candidate.begin() + static_cast<ptrdiff_t>(begin),
                      candidate.begin() + static_cast<ptrdiff_t>(end));
      return Try(std::move(candidate));
    });
  }

  bool ZeroChunks() {
    return ForEachChunk([this](size_t begin, size_t end) {
      Values candidate = best_;
      bool any = false;
      for (size_t i = begin; i < end; ++i) {
        any = any || candidate[i] != 0;
        candidate[i] = 0;
      }
      return any && Try(std::move(candidate));
    });
  }

  // Zeroes k neighbouring non-zero values together (k = 2..kMaxNeighbours;
  // zeros between them do not count), from the end backwards. Preemptions
  // often come in pairs that cancel out (switch to B, switch back to A): either
  // one zeroed alone shifts the schedule and loses the failure, both together
  // restore it. The chunk passes miss such pairs unless they happen to sit
  // in one aligned chunk.
  bool ZeroNeighbours() {
    bool progress = false;
    for (size_t k = 2; k <= kMaxNeighbours && !out_of_runs(); ++k) {
      std::vector<size_t> nonzero = NonzeroIndices();
      for (size_t last = nonzero.size(); last >= k && !out_of_runs();) {
        Values candidate = best_;
        for (size_t j = last - k; j < last; ++j) candidate[nonzero[j]] = 0;
        if (Try(std::move(candidate))) {
          progress = true;
          nonzero = NonzeroIndices();
          last = std::min(last, nonzero.size());  // the same place again
        } else {
          --last;
        }
      }
    }
    return progress;
  }
  static constexpr size_t kMaxNeighbours = 4;

  std::vector<size_t> NonzeroIndices() const {
    std::vector<size_t> indices;
    for (size_t i = 0; i < best_.size(); ++i) {
      if (best_[i] != 0) indices.push_back(i);
    }
    return indices;
  }

  // Each non-zero value: 0 if that still fails, else the smallest value
  // found by binary search between 0 (passes) and the value (fails).
  bool LowerValues() {
    bool progress = false;
    for (size_t i = 0; i < best_.size() && !out_of_runs(); ++i) {
      if (best_[i] == 0) continue;
      if (Lower(i, 0)) {
        progress = true;
        continue;
      }
      uint64_t passes = 0;
      while (i < best_.size() && passes + 1 < best_[i] && !out_of_runs()) {
        const uint64_t mid = passes + (best_[i] - passes) / 2;
        if (Lower(i, mid)) {
          progress = true;
        } else {
          passes = mid;
        }
      }
    }
    return progress;
  }

  bool Lower(size_t index, uint64_t value) {
    Values candidate = best_;
    candidate[index] = value;
    return Try(std::move(candidate));
  }

  const ShrinkOptions& options_;
  RunWith run_with_;
  ShrinkResult& result_;
  Values best_;
  uint64_t best_preemptions_ = 0;
  RunResult best_run_;
  bool best_reportable_ = true;
  Values shrunk_;  // result_.shrunk's significant choices
  uint64_t shrunk_preemptions_ = 0;
  bool reportable_only_ = false;  // the second round (see Run)
  uint64_t reported_at_ = 0;      // the run that found result_.shrunk
  // Candidates already run (by hash; only ever looked up, never iterated).
  std::unordered_set<uint64_t> tried_;
  std::unordered_set<uint64_t> tried_world_;  // Cooperative's worlds
};

// Each run of digits as "#": a count, a size or a time in a report says how
// much or when, not what broke ("holds marshal 320 bytes" and "holds marshal
// 64 bytes" are one leak), and requiring them equal pins every choice that
// feeds them (message sizes, link delays), so they could never shrink.
std::string MaskNumbers(std::string_view line) {
  std::string masked;
  masked.reserve(line.size());
  bool in_number = false;
  for (const char c : line) {
    const bool digit = c >= '0' && c <= '9';
    if (!digit) masked.push_back(c);
    if (digit && !in_number) masked.push_back('#');
    in_number = digit;
  }
  return masked;
}

}  // namespace

FailureSignature FailureSignature::Of(const RunResult& result) {
  FailureSignature signature;
  signature.outcome = result.outcome;
  if (result.outcome == Outcome::kInvariantFailed ||
      result.outcome == Outcome::kUncaughtException) {
    signature.first_line = MaskNumbers(result.report.substr(0, result.report.find('\n')));
  }
  return signature;
}

bool FailureSignature::Matches(const RunResult& result) const {
  return outcome != Outcome::kOk && result.outcome == outcome &&
         Of(result).first_line == first_line;
}

std::string FailureSignature::ToString() const {
  std::string text(OutcomeName(outcome));
  if (!first_line.empty()) text += ": " + first_line;
  return text;
}

ShrinkResult Shrink(const ChoiceLog& failing, const ShrinkOptions& options, RunWith run_with) {
  DRPC_ASSERT(options.max_runs >= 1, "shrink needs at least one run");
  ShrinkResult result;
  Shrinker shrinker(options, run_with, result);
  if (!shrinker.Start(failing)) {
    result.shrunk = result.original;
    return result;
  }
  result.reproduced = true;
  shrinker.Run();
  return result;
}

}  // namespace drpc::sim
