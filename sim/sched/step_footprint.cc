#include "sim/sched/step_footprint.h"

#include <algorithm>

namespace drpc::sim {
namespace {

// The operations whose own mutex hand-over (sim/rt/mutex.cc) the recorder
// can pin to their object: one take or release each.
const StaticName kLock("lock");
const StaticName kTryLock("try_lock");
const StaticName kUnlock("unlock");

}  // namespace

void Footprint::Add(uint32_t object) {
  auto at = std::lower_bound(objects.begin(), objects.end(), object);
  if (at == objects.end() || *at != object) objects.insert(at, object);
}

bool Footprint::CommutesWith(const Footprint& other) const {
  if (everything || other.everything || (fresh && other.fresh)) return false;
  // Both sorted: a merge walk finds a shared object.
  auto a = objects.begin();
  auto b = other.objects.begin();
  while (a != objects.end() && b != other.objects.end()) {
    if (*a == *b) return false;
    if (*a < *b) {
      ++a;
    } else {
      ++b;
    }
  }
  return true;
}

void FootprintRecorder::Reset() {
  pending_.clear();
  known_ids_ = 0;
  highest_id_ = 0;
  current_ = Footprint{};
}

FootprintRecorder::Pending& FootprintRecorder::PendingOf(FiberId fiber) {
  if (pending_.size() < fiber) pending_.resize(fiber);
  return pending_[fiber - 1];
}

void FootprintRecorder::Touch(uint32_t object) {
  if (object == 0) {
    current_.everything = true;
  } else if (object > known_ids_) {
    current_.fresh = true;
  } else {
    current_.Add(object);
  }
  highest_id_ = std::max(highest_id_, object);
}

void FootprintRecorder::Begin(FiberId fiber) {
  // A fiber that never stopped yet starts its body: plain code up to its
  // first scheduling point, whose object OnOp adds.
  const Pending& pending = PendingOf(fiber);
  if (pending.known) Touch(pending.object);
}

Footprint FootprintRecorder::Take() {
  Footprint taken = std::move(current_);
  current_ = Footprint{};
  known_ids_ = highest_id_;
  return taken;
}

void FootprintRecorder::OnOp(FiberId fiber, uint64_t op_hash, uint32_t object) {
  Touch(object);
  Pending& pending = PendingOf(fiber);
  pending.known = true;
  pending.object = object;
  pending.lock_ops =
      op_hash == kLock.hash() || op_hash == kTryLock.hash() || op_hash == kUnlock.hash() ? 1 : 0;
}

void FootprintRecorder::OnNewObject(uint32_t object, const char* /*name*/) {
  current_.fresh = true;
  highest_id_ = std::max(highest_id_, object);
}

void FootprintRecorder::OnUse(uint32_t object) { Touch(object); }

void FootprintRecorder::OnLock(FiberId fiber) {
  Pending& pending = PendingOf(fiber);
  if (pending.known && pending.lock_ops > 0) {
    --pending.lock_ops;
    Touch(pending.object);
  } else {
    current_.everything = true;
  }
}

}  // namespace drpc::sim
