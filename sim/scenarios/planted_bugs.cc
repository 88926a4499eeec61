// Classic concurrency bugs planted on rt primitives, each next to its fix.
// They are the proof that the scheduler finds real interleaving bugs: the
// seeded random scheduler must find every `.buggy` one within its
// `find_within_seeds` bound, and every `.fixed` one must pass for any seed.
// Each body keeps the buggy and fixed code side by side behind one flag so
// the difference is the bug and nothing else.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/rt/rt.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim {
namespace {

// Lost wakeup. The consumer checks for the message without the lock, then
// waits once, without re-checking under the lock: a producer that publishes
// and notifies between the check and the wait is never heard, and the
// consumer sleeps forever. Fix: check and wait under the lock, in a loop.
void LostWakeup(bool fixed) {
  rt::Mutex mu("mailbox.mu");
  rt::CondVar cv("mailbox.has_message");
  rt::Atomic<bool> has_message(false, "mailbox.has_message");
  rt::Task consumer = rt::spawn("consumer", [&] {
    if (fixed) {
      rt::Lock lock(mu);
      cv.wait(
          lock, [&] { return has_message.load(); }, "consumer: wait for the message");
    } else if (!has_message.load()) {
      rt::Lock lock(mu);
      cv.wait(lock, "consumer: wait for the message");
    }
    DRPC_ASSERT(has_message.load(), "consumer woke up without a message");
  });
  rt::Task producer = rt::spawn("producer", [&] {
    {
      rt::LockGuard guard(mu);
      has_message.store(true);
    }
    cv.notify_one();
  });
  producer.join();
  consumer.join();
}

// Lock-order deadlock. A transfer takes accounts then audit; the report
// takes audit then accounts. Fix: one global order (accounts, then audit).
void LockOrder(bool fixed) {
  rt::Mutex accounts("accounts.mu");
  rt::Mutex audit("audit.mu");
  int balance = 100;
  int audited = 0;
  rt::Task transfer = rt::spawn("transfer", [&] {
    rt::LockGuard first(accounts);
    rt::LockGuard second(audit);
    balance -= 10;
    ++audited;
  });
  rt::Task report = rt::spawn("report", [&] {
    if (fixed) {
      rt::LockGuard first(accounts);
      rt::LockGuard second(audit);
      DRPC_ASSERT(balance + 10 * audited == 100, "books do not balance");
    } else {
      rt::LockGuard first(audit);
      rt::LockGuard second(accounts);
      DRPC_ASSERT(balance + 10 * audited == 100, "books do not balance");
    }
  });
  transfer.join();
  report.join();
}

// Atomicity violation (check-then-act). Each withdrawal checks the balance
// in one critical section and debits in another, so two withdrawals can both
// pass the check and overdraw. A step hook checks the invariant at every
// scheduling point. Fix: check and debit in one critical section.
void CheckThenAct(bool fixed) {
  rt::Mutex mu("account.mu");
  int balance = 100;  // guarded by mu
  StepHook never_overdrawn([&] { DRPC_ASSERT(balance >= 0, "account overdrawn"); });
  auto withdraw = [&](int amount) {
    if (fixed) {
      rt::LockGuard guard(mu);
      if (balance >= amount) balance -= amount;
      return;
    }
    bool enough;
    {
      rt::LockGuard guard(mu);
      enough = balance >= amount;
    }
    if (enough) {
      rt::LockGuard guard(mu);
      balance -= amount;
    }
  };
  rt::Task a = rt::spawn("withdraw.a", [&] { withdraw(60); });
  rt::Task b = rt::spawn("withdraw.b", [&] { withdraw(60); });
  a.join();
  b.join();
  rt::LockGuard guard(mu);
  DRPC_ASSERT(balance == 40, "exactly one withdrawal of 60 must succeed");
}

// notify_one with two kinds of waiters on one condition variable. A
// one-slot buffer; the producer waits for "empty", two consumers wait for
// "full", all on the same condvar. notify_one may wake a waiter of the wrong
// kind, which goes back to sleep, and the wakeup meant for the other kind is
// gone: everyone ends up waiting. Fix: one condvar per condition.
void SharedCondVar(bool fixed) {
  constexpr int kItemsPerConsumer = 2;
  constexpr int kConsumers = 2;
  rt::Mutex mu("slot.mu");
  rt::CondVar shared("slot.changed");
  rt::CondVar not_full("slot.not_full");
  rt::CondVar not_empty("slot.not_empty");
  rt::CondVar& wait_empty = fixed ? not_full : shared;
  rt::CondVar& wait_full = fixed ? not_empty : shared;
  bool full = false;  // guarded by mu
  int consumed = 0;   // guarded by mu
  rt::Task producer = rt::spawn("producer", [&] {
    for (int i = 0; i < kItemsPerConsumer * kConsumers; ++i) {
      rt::Lock lock(mu);
      wait_empty.wait(
          lock, [&] { return !full; }, "producer: wait for an empty slot");
      full = true;
      wait_full.notify_one();
    }
  });
  std::vector<rt::Task> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.push_back(rt::spawn("consumer" + std::to_string(c), [&] {
      for (int i = 0; i < kItemsPerConsumer; ++i) {
        rt::Lock lock(mu);
        wait_full.wait(
            lock, [&] { return full; }, "consumer: wait for an item");
        full = false;
        ++consumed;
        wait_empty.notify_one();
      }
    }));
  }
  producer.join();
  for (rt::Task& t : consumers) t.join();
  rt::LockGuard guard(mu);
  DRPC_ASSERT(consumed == kItemsPerConsumer * kConsumers, "every item is consumed once");
}

// Planted nondeterminism: a decision whose range depends on a heap address.
// Every run passes; only the determinism self-check (two runs, same seed)
// notices that they differ. The allocations are kept so that each run gets
// a fresh address, as a long-lived cache would.
void HeapAddressDecision() {
  static std::vector<std::unique_ptr<int>> cache;
  cache.push_back(std::make_unique<int>(0));
  const auto address = reinterpret_cast<uintptr_t>(cache.back().get());
  rt::Task worker = rt::spawn("worker", [&] {
    rt::yield();
    const uint64_t batch = 1 + Choose(2 + ((address >> 4) & 0xff), ChoiceKind::kWorkload);
    for (uint64_t i = 0; i < batch % 4; ++i) rt::yield();
  });
  rt::yield();
  worker.join();
}

// A pipeline that uses every rt primitive (bounded queue on mutex+condvar,
// timeouts, a Signal to stop, wait_any, atomics, sleeps); it must pass for
// every schedule. Its role is breadth: sweeps exercise the whole rt sim
// backend, not just the pieces the planted bugs touch.
void Pipeline() {
  using namespace std::chrono_literals;
  constexpr int kItems = 6;
  constexpr size_t kCapacity = 2;
  rt::Mutex mu("queue.mu");
  rt::CondVar not_empty("queue.not_empty");
  rt::CondVar not_full("queue.not_full");
  std::vector<int> queue;  // guarded by mu
  rt::Signal done("pipeline.done");
  rt::Atomic<int> sum(0, "pipeline.sum");
  rt::Task producer = rt::spawn("producer", [&] {
    for (int i = 1; i <= kItems; ++i) {
      rt::sleep_for(std::chrono::microseconds(Choose(3, ChoiceKind::kWorkload)));
      rt::Lock lock(mu);
      not_full.wait(
          lock, [&] { return queue.size() < kCapacity; }, "producer: queue full");
      queue.push_back(i);
      not_empty.notify_one();
    }
  });
  rt::Task consumer = rt::spawn("consumer", [&] {
    int received = 0;
    for (int polls = 0; received < kItems; ++polls) {
      DRPC_ASSERT(polls < 10 * kItems, "the consumer keeps polling without progress");
      rt::Lock lock(mu);
      if (!not_empty.wait_until(
              lock, rt::now() + 5us, [&] { return !queue.empty(); }, "consumer: poll the queue")) {
        continue;  // timed out: poll again
      }
      sum.fetch_add(queue.front());
      queue.erase(queue.begin());
      ++received;
      not_full.notify_one();
    }
    done.set(Status());
  });
  rt::Signal never("pipeline.never");
  rt::Task watcher = rt::spawn("watcher", [&] {
    const size_t which = rt::wait_any({&never, &done}, "watcher: wait for the end");
    DRPC_ASSERT(which == 1, "only `done` is ever set");
  });
  producer.join();
  consumer.join();
  watcher.join();
  DRPC_ASSERT(sum.load() == kItems * (kItems + 1) / 2, "every item arrives exactly once");
  DRPC_ASSERT(!never.wait_until(rt::now() + 1ms, "main: a timeout on a signal"),
              "`never` is never set");
}

Scenario Make(std::string name, std::string description, Expectation expect,
              std::function<void()> body) {
  Scenario s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.expect = expect;
  s.options = ScenarioDefaults();
  s.body = std::move(body);
  return s;
}

Scenario Bug(std::string name, std::string description, Outcome outcome, uint64_t bound,
             std::function<void()> body) {
  Scenario s =
      Make(std::move(name), std::move(description), Expectation::kFindsBug, std::move(body));
  s.bug_outcome = outcome;
  s.find_within_seeds = bound;
  return s;
}

}  // namespace

// Bounds: each bug is found with probability 0.17 to 0.4 per seed (medians
// of 2 to 3 seeds, worst of 101 trials 11 to 36; `drpc-sim hunt`), so 100
// seeds miss it with probability below 1e-8, while a scheduler that stopped
// exploring (never preempting, always waking the first waiter) fails them.
void RegisterPlantedBugScenarios(ScenarioRegistry& registry) {
  registry.Add(Bug("lost_wakeup.buggy",
                   "consumer checks without the lock, then waits without a predicate loop",
                   Outcome::kDeadlock, 100, [] { LostWakeup(false); }));
  registry.Add(Make("lost_wakeup.fixed", "check and wait under the lock, in a loop",
                    Expectation::kPass, [] { LostWakeup(true); }));
  registry.Add(Bug("lock_order.buggy", "two mutexes taken in opposite orders by two fibers",
                   Outcome::kDeadlock, 100, [] { LockOrder(false); }));
  registry.Add(Make("lock_order.fixed", "both fibers take the mutexes in one global order",
                    Expectation::kPass, [] { LockOrder(true); }));
  registry.Add(Bug("check_then_act.buggy",
                   "withdrawals check the balance and debit it in separate critical sections",
                   Outcome::kInvariantFailed, 100, [] { CheckThenAct(false); }));
  registry.Add(Make("check_then_act.fixed", "check and debit in one critical section",
                    Expectation::kPass, [] { CheckThenAct(true); }));
  registry.Add(Bug("shared_condvar.buggy",
                   "producer and consumers wait on one condvar; notify_one wakes the wrong kind",
                   Outcome::kDeadlock, 100, [] { SharedCondVar(false); }));
  registry.Add(Make("shared_condvar.fixed", "one condvar per condition", Expectation::kPass,
                    [] { SharedCondVar(true); }));
  registry.Add(Make("nondeterminism.heap_address",
                    "a workload decision whose range depends on a heap address",
                    Expectation::kNondeterministic, HeapAddressDecision));
  registry.Add(Make("pipeline.fixed",
                    "bounded queue, timeouts, signals, wait_any and atomics, all together",
                    Expectation::kPass, Pipeline));
}

}  // namespace drpc::sim
