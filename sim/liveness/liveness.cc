#include "sim/liveness/liveness.h"

#include <algorithm>
#include <utility>

#include "drpc/base/check.h"
#include "sim/sched/run.h"
#include "sim/sched/trace.h"
#include "sim/sched/waiting.h"

namespace drpc::sim {

LivenessPhase::LivenessPhase(std::string what, rt::Duration bound)
    : what_(std::move(what)), bound_(bound) {
  DRPC_ASSERT(bound_ > rt::Duration::zero(), "a liveness bound must be positive");
}

LivenessPhase::~LivenessPhase() {
  // A run that failed abandons its tasks without unwinding, so a phase is
  // destroyed only on a path where Finish ran (or Begin never did).
  DRPC_ASSERT(!watchdog_.joinable(), "a LivenessPhase was begun but never finished");
}

LivenessPhase::Obligation LivenessPhase::Owe(std::string what) {
  owed_.push_back(Owed{std::move(what), false});
  return owed_.size() - 1;
}

void LivenessPhase::Settle(Obligation obligation) {
  DRPC_ASSERT(obligation < owed_.size(), "settling an obligation that was never owed");
  owed_[obligation].settled = true;
}

void LivenessPhase::Begin(FunctionRef<void()> heal) {
  DRPC_ASSERT(!begun_, "the liveness phase begins once");
  heal();
  begun_ = true;
  began_at_ = rt::now();
  watchdog_ = rt::spawn("liveness watchdog", [this] { Watch(); });
}

void LivenessPhase::Watch() {
  if (finished_.wait_until(began_at_ + bound_, "liveness: the watchdog waits for the bound")) {
    return;
  }
  Fail(Late());
}

// Why the bound ran out. The same words whether the watchdog or Finish
// notices first (their timers may fire at the same instant, in either order).
std::string LivenessPhase::Late() const {
  for (const Owed& owed : owed_) {
    if (!owed.settled) return "the liveness phase did not finish within its bound";
  }
  return "tasks are left after the liveness phase's work ended";
}

void LivenessPhase::Finish() {
  DRPC_ASSERT(begun_, "Finish ends a liveness phase that began");
  for (const Owed& owed : owed_) {
    if (!owed.settled) Fail("the liveness phase finished with work still owed");
  }
  // Every other task must exit: the caller and the watchdog stay. Virtual
  // time moves only when no task can run, so each sleep ends after every
  // task that can make progress has; the doubling keeps a slow drain
  // (flush timeouts, grace periods) to a few dozen steps.
  rt::Duration wait = std::chrono::nanoseconds(1);
  while (LiveTasks() > 2) {
    const rt::TimePoint bound = began_at_ + bound_;
    if (rt::now() >= bound) Fail(Late());
    rt::sleep_until(std::min(bound, rt::now() + wait));
    wait = std::min<rt::Duration>(wait * 2, std::chrono::microseconds(100));
  }
  finished_.set(OkStatus());
  watchdog_.join();
}

std::string LivenessPhase::StillWaiting() const {
  std::string text;
  size_t open = 0;
  for (const Owed& owed : owed_) {
    if (owed.settled) continue;
    text += "\n  owed: " + owed.what;
    ++open;
  }
  if (open == 0) text += "\n  owed: nothing (every call, probe and shutdown step ended)";
  for (const WaitingTask& w : WaitingTasks()) {
    if (w.label == std::string_view("liveness: the watchdog waits for the bound")) continue;
    text += "\n  " + w.ToString();
  }
  return text;
}

void LivenessPhase::Fail(const std::string& why) const {
  const Nanos began = began_at_.time_since_epoch().count();
  const Nanos bound = bound_.count();
  FailLiveness("liveness: " + what_ + ": " + why + " (faults healed at " + FormatTime(began) +
               ", bound " + FormatTime(bound) + "); still waiting:" + StillWaiting());
}

}  // namespace drpc::sim
