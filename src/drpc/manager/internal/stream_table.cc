#include "drpc/manager/internal/stream_table.h"

#include <algorithm>
#include <string>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/manager/timeouts.h"

namespace drpc::manager {

StreamTable::StreamTable()
    : mu_("stream_table.mu"),
      changed_("stream_table.changed"),
      watcher_wake_("stream_table.watcher_wake"),
      empty_since_(rt::now()) {}

StreamTable::Entry* StreamTable::FindLocked(uint64_t id) {
  auto it = std::lower_bound(streams_.begin(), streams_.end(), id,
                             [](const Entry& e, uint64_t key) { return e.id < key; });
  return it != streams_.end() && it->id == id ? &*it : nullptr;
}

const StreamTable::Entry* StreamTable::FindLocked(uint64_t id) const {
  return const_cast<StreamTable*>(this)->FindLocked(id);
}

rt::TimePoint StreamTable::EarliestLocked() const {
  return by_deadline_.empty() ? rt::kNoDeadline : by_deadline_.begin()->first;
}

ClaimResult StreamTable::ClaimRoom(size_t limit, rt::TimePoint deadline, const rt::Signal* cancel) {
  rt::Lock lock(mu_);
  DRPC_ASSERT(limit > 0, "a stream limit of 0 admits nothing");
  const bool room = changed_.wait_until(
      lock, deadline,
      [&] {
        return closed_ || (cancel != nullptr && cancel->is_set()) ||
               streams_.size() + claimed_ < limit;
      },
      "stream table: wait for the previous stream to finish");
  if (closed_) return ClaimResult::kClosed;
  if (cancel != nullptr && cancel->is_set()) return ClaimResult::kCanceled;
  if (!room) return ClaimResult::kDeadline;
  ++claimed_;
  return ClaimResult::kClaimed;
}

void StreamTable::WakeClaimers() {
  rt::LockGuard guard(mu_);
  changed_.notify_all();
}

AddResult StreamTable::Add(StreamPtr stream, size_t limit, rt::TimePoint deadline, bool claimed) {
  rt::Lock lock(mu_);
  DRPC_ASSERT(stream != nullptr, "registering a null stream");
  DRPC_ASSERT(limit > 0, "a stream limit of 0 admits nothing");
  const uint64_t id = stream->id();
  if (claimed) {
    DRPC_ASSERT(claimed_ > 0, "Add with a claim nobody made");
    --claimed_;
  }
  // A claim that is not used frees its room for the next claimer.
  auto refuse = [&](AddResult result) {
    if (claimed) changed_.notify_all();
    return result;
  };
  if (closed_ && !DRPC_PLANT(kManagerRegisterAfterClose)) return refuse(AddResult::kClosed);
  auto at = std::lower_bound(streams_.begin(), streams_.end(), id,
                             [](const Entry& e, uint64_t key) { return e.id < key; });
  if (at != streams_.end() && at->id == id) return refuse(AddResult::kDuplicate);
  if (streams_.size() >= limit) return refuse(AddResult::kFull);
  Entry& entry = *streams_.insert(at, Entry{.id = id, .stream = std::move(stream)});
  empty_since_ = rt::kNoDeadline;
  SetDeadlineLocked(entry, id, deadline);
  return AddResult::kAdded;
}

void StreamTable::SetDeadlineLocked(Entry& entry, uint64_t id, rt::TimePoint deadline) {
  if (entry.deadline == rt::kNoDeadline && deadline == rt::kNoDeadline) return;
  const rt::TimePoint earliest = EarliestLocked();
  if (entry.deadline != rt::kNoDeadline) by_deadline_.erase({entry.deadline, id});
  entry.deadline = deadline;
  if (deadline == rt::kNoDeadline) return;
  by_deadline_.insert({deadline, id});
  // Only an earlier first deadline changes when the watcher must wake; a
  // later or removed one lets it wake at the old time and find nothing due.
  if (deadline < earliest) watcher_wake_.notify_one();
}

StreamTable::StreamPtr StreamTable::Get(uint64_t id) const {
  rt::LockGuard guard(mu_);
  const Entry* entry = FindLocked(id);
  return entry == nullptr ? nullptr : entry->stream;
}

bool StreamTable::SetDeadline(uint64_t id, rt::TimePoint deadline) {
  rt::LockGuard guard(mu_);
  Entry* entry = FindLocked(id);
  if (entry == nullptr) return false;
  SetDeadlineLocked(*entry, id, deadline);
  return true;
}

StreamTable::StreamPtr StreamTable::OnFinished(uint64_t id) {
  rt::LockGuard guard(mu_);
  DRPC_ASSERT(!sealed_, "stream " + std::to_string(id) +
                            " finished after its connection's Close returned: Close must "
                            "wait until every stream has finished");
  Entry* entry = FindLocked(id);
  if (entry == nullptr) return nullptr;
  StreamPtr stream = std::move(entry->stream);
  // Its deadline goes without waking the watcher (docs/manager.md).
  if (entry->deadline != rt::kNoDeadline) by_deadline_.erase({entry->deadline, id});
  streams_.erase(streams_.begin() + (entry - streams_.data()));
  if (streams_.empty()) BecameEmptyLocked();
  changed_.notify_all();
  return stream;
}

std::vector<StreamTable::StreamPtr> StreamTable::Close() {
  rt::LockGuard guard(mu_);
  if (closed_) return {};
  closed_ = true;
  std::vector<StreamPtr> snapshot;
  snapshot.reserve(streams_.size());
  for (const Entry& entry : streams_) snapshot.push_back(entry.stream);
  changed_.notify_all();
  watcher_wake_.notify_all();
  return snapshot;
}

void StreamTable::WaitEmpty(const char* label) {
  rt::Lock lock(mu_);
  changed_.wait(
      lock, [&] { return streams_.empty(); }, label);
}

void StreamTable::Seal() {
  rt::LockGuard guard(mu_);
  DRPC_ASSERT(closed_, "sealing an open stream table");
  DRPC_ASSERT(streams_.empty(), "sealing a stream table that still has streams");
  DRPC_ASSERT(by_deadline_.empty(), "deadlines left without their streams");
  sealed_ = true;
}

std::vector<StreamTable::StreamPtr> StreamTable::TakeAll() {
  rt::LockGuard guard(mu_);
  std::vector<StreamPtr> all;
  for (Entry& entry : streams_) all.push_back(std::move(entry.stream));
  streams_.clear();
  by_deadline_.clear();
  BecameEmptyLocked();
  changed_.notify_all();
  return all;
}

void StreamTable::BecameEmptyLocked() {
  empty_since_ = rt::now();
  // The idle timer starts now; the watcher asked to hear of it.
  if (wake_on_empty_) {
    wake_on_empty_ = false;
    watcher_wake_.notify_one();
  }
}

void StreamTable::WakeWatcher() {
  rt::LockGuard guard(mu_);
  watcher_wake_.notify_one();
}

rt::TimePoint StreamTable::empty_since() const {
  rt::LockGuard guard(mu_);
  return empty_since_;
}

std::vector<StreamTable::StreamPtr> StreamTable::WaitExpired(const char* label,
                                                             ConnectionTimer* timer) {
  rt::Lock lock(mu_);
  for (;;) {
    if (closed_) return {};
    // The connection's timeouts: asked under the lock, so a stream leaving
    // (the idle timer) or a hook's wake-up cannot slip between the plan and
    // the wait.
    rt::TimePoint wake = rt::kNoDeadline;
    if (timer != nullptr) {
      const ConnectionTimer::Plan plan = timer->Arm(rt::now(), empty_since_);
      wake_on_empty_ = plan.wake_on_empty;
      if (plan.wake != rt::kNoDeadline && rt::now() >= plan.wake) return {};
      wake = plan.wake;
    }
    if (!by_deadline_.empty()) {
      const rt::TimePoint first = by_deadline_.begin()->first;
      if (rt::now() >= first) break;
      wake = std::min(wake, first);
    }
    if (wake == rt::kNoDeadline) {
      watcher_wake_.wait(lock, label);
    } else {
      (void)watcher_wake_.wait_until(lock, wake, label);
    }
    ++watcher_wakeups_;
  }
  wake_on_empty_ = false;
  std::vector<StreamPtr> expired;
  const rt::TimePoint now = rt::now();
  // Bounded by the number of deadlines, each removed as it is taken.
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const uint64_t id = by_deadline_.begin()->second;
    by_deadline_.erase(by_deadline_.begin());
    Entry* entry = FindLocked(id);
    DRPC_ASSERT(entry != nullptr, "a deadline without its stream");
    entry->deadline = rt::kNoDeadline;
    expired.push_back(entry->stream);
  }
  return expired;
}

size_t StreamTable::size() const {
  rt::LockGuard guard(mu_);
  return streams_.size();
}

bool StreamTable::closed() const {
  rt::LockGuard guard(mu_);
  return closed_;
}

size_t StreamTable::deadlines() const {
  rt::LockGuard guard(mu_);
  return by_deadline_.size();
}

uint64_t StreamTable::watcher_wakeups() const {
  rt::LockGuard guard(mu_);
  return watcher_wakeups_;
}

}  // namespace drpc::manager
