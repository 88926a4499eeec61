#include "drpc/rt/signal.h"

#include <algorithm>
#include <string>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"

namespace drpc::rt {
namespace {

// Waits on one signal from many tasks at once are a handful in practice
// (a stream's reader and writer, the manager); this bound turns a leak of
// subscriptions into a clear failure instead of unbounded growth.
constexpr size_t kMaxWaitersPerSignal = 1 << 16;

}  // namespace

// A wait_any caller: it subscribes to every signal it waits on and is woken
// through its own condition variable by whichever is set first.
struct Signal::Waiter {
  Mutex mu{"signal.waiter"};
  CondVar cv{"signal.waiter"};
  bool fired = false;  // guarded by mu
};

Signal::Signal(const char* name) : name_(name), mu_(name), cv_(name), set_(false, name) {}

bool Signal::set(Status err) {
  LockGuard guard(mu_);
  if (set_.load()) return false;
  err_ = std::move(err);
  set_.store(true);
  cv_.notify_all();
  // Waiters are woken under mu_: a waiter unsubscribes (which takes mu_)
  // before it is destroyed, so none can vanish while we touch it. Lock order
  // is always signal.mu_ -> waiter.mu, and wait_any never holds its waiter's
  // mu while subscribing or unsubscribing.
  for (Waiter* w : waiters_) {
    LockGuard waiter_guard(w->mu);
    w->fired = true;
    w->cv.notify_all();
  }
  return true;
}

void Signal::Rearm() {
  LockGuard guard(mu_);
  DRPC_ASSERT(waiters_.empty(), std::string("rearming signal '") + name_ + "' while waited on");
  set_.store(false);
  err_ = Status();
}

Status Signal::err() const {
  if (!set_.load()) return Status();
  LockGuard guard(mu_);
  return err_;
}

void Signal::wait(const char* label) {
  if (set_.load()) return;
  Lock lock(mu_);
  if (DRPC_PLANT(kRtSignalWaitsOnce)) {
    // The bug: every notify comes with "set", so one wait looks enough.
    if (!set_.load()) cv_.wait(lock, label);
    return;
  }
  cv_.wait(
      lock, [&] { return set_.load(); }, label);
}

bool Signal::wait_until(TimePoint deadline, const char* label) {
  if (set_.load()) return true;
  Lock lock(mu_);
  return cv_.wait_until(
      lock, deadline, [&] { return set_.load(); }, label);
}

void Signal::Subscribe(Waiter* waiter) {
  LockGuard guard(mu_);
  DRPC_ASSERT(waiters_.size() < kMaxWaitersPerSignal,
              std::string("too many wait_any callers on signal '") + name_ + "'");
  waiters_.push_back(waiter);
}

void Signal::Unsubscribe(Waiter* waiter) {
  LockGuard guard(mu_);
  auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
  DRPC_ASSERT(it != waiters_.end(), "unsubscribing a waiter that never subscribed");
  waiters_.erase(it);
}

namespace {

size_t FirstSet(std::span<Signal* const> signals) {
  for (size_t i = 0; i < signals.size(); ++i) {
    if (signals[i]->is_set()) return i;
  }
  return signals.size();
}

}  // namespace

size_t wait_any_until(std::span<Signal* const> signals, TimePoint deadline, const char* label) {
  // Waiting on nothing could only end by timing out, and with kNoDeadline
  // never; returning at once would claim a deadline passed that did not.
  DRPC_ASSERT(!signals.empty(), std::string("wait_any at '") + label + "' over no signals");
  for (const Signal* s : signals) {
    DRPC_ASSERT(s != nullptr, std::string("wait_any at '") + label + "' on a null signal");
  }
  size_t first = FirstSet(signals);
  if (first != signals.size()) return first;

  Signal::Waiter waiter;
  for (Signal* s : signals) s->Subscribe(&waiter);
  {
    Lock lock(waiter.mu);
    // A signal set before we subscribed did not fire the waiter; check again.
    waiter.cv.wait_until(
        lock, deadline, [&] { return waiter.fired || FirstSet(signals) != signals.size(); }, label);
  }
  for (Signal* s : signals) s->Unsubscribe(&waiter);
  return FirstSet(signals);
}

}  // namespace drpc::rt
