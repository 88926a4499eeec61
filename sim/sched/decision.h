// The decision source: every bit of nondeterminism in a simulated run is one
// call of DecisionSource::Choose (architecture.md, "The one idea").
//
// Contract the scheduler keeps, so that new strategies (PCT, bounded
// exhaustive search) drop in as further sources without touching it:
//   * Choose is asked only when there are at least two options; a forced move
//     is neither asked nor recorded.
//   * kSchedule requests list the candidate fibers in a deterministic order
//     and say which one was running: option i means candidates[i].
//     Option 0 is always the non-preemptive move: keep running the current
//     fiber if it can run, else the fiber that has been runnable longest.
//     The others follow in the order they became runnable. So a source that
//     always answers 0 yields a cooperative schedule, and shrinking choices
//     toward 0 removes preemptions.
//     The same kind is used to pick which waiter notify_one (or a mutex
//     release) wakes: candidates are the waiters in arrival order, option 0
//     the longest waiting (FIFO), `current` is kNoFiber.
//   * kTime requests order timers that expire at the same virtual time:
//     candidates are their fibers in registration order, option 0 the oldest.
//   * kNet, kFault, kWorkload come from sim::Choose (simulated network, fault
//     injection, workload generators); they carry no candidates and option 0
//     should be the "nothing special happens" answer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "drpc/sim/ids.h"

namespace drpc::sim {

enum class ChoiceKind : uint8_t { kSchedule, kTime, kNet, kFault, kWorkload };
inline constexpr int kChoiceKindCount = 5;

std::string_view ChoiceKindName(ChoiceKind kind);
// One letter per kind, used by the choice log text format (s t n f w).
char ChoiceKindLetter(ChoiceKind kind);
std::optional<ChoiceKind> ChoiceKindFromLetter(char letter);

struct ChoiceRequest {
  ChoiceKind kind = ChoiceKind::kSchedule;
  uint64_t n = 0;     // number of options, >= 2
  uint64_t step = 0;  // the run's step, for reports
  // kSchedule and kTime only: the fiber each option stands for.
  std::span<const FiberId> candidates;
  // kSchedule only: the fiber that reached the scheduling point if it can go
  // on (then it is candidates[0]), else kNoFiber.
  FiberId current = kNoFiber;
  // kSchedule only: true when the candidates are waiters and the choice is
  // which one a notify_one or a mutex release wakes, rather than which
  // fiber runs next. (A strategy that counts preemptions ignores these.)
  bool picks_waiter = false;
};

class DecisionSource {
 public:
  virtual ~DecisionSource() = default;

  // Returns an option in [0, request.n).
  virtual uint64_t Choose(const ChoiceRequest& request) = 0;

  // Set once the source finds that the run departs from what it expected
  // (a replayed log asked for a different choice): the scheduler then stops
  // the run as nondeterministic. Non-virtual so checking it costs a load.
  bool diverged() const { return !divergence_.empty(); }
  const std::string& divergence() const { return divergence_; }

 protected:
  // The first report wins: later ones are consequences of it.
  void ReportDivergence(std::string what) {
    if (divergence_.empty()) divergence_ = std::move(what);
  }

 private:
  std::string divergence_;
};

}  // namespace drpc::sim
