#include "drpc/manager/internal/stream_ids.h"

#include "drpc/base/check.h"

namespace drpc::manager {

UsedStreamIds::UsedStreamIds(size_t max_above_low_water) : max_above_(max_above_low_water) {
  DRPC_ASSERT(max_above_low_water > 0, "the used-id window needs room for one id");
}

bool UsedStreamIds::IsUsed(uint64_t id) const { return id <= low_water_ || above_.contains(id); }

void UsedStreamIds::MarkUsed(uint64_t id) {
  DRPC_ASSERT(!IsUsed(id), "MarkUsed of an id already used");
  if (id == low_water_ + 1) {
    // The common case (ids in order): the mark moves up, the set is not
    // touched (no allocation per stream).
    low_water_ = id;
  } else {
    above_.insert(id);
  }
  AdvanceOverContiguous();
  if (above_.size() > max_above_) {
    // Too many ids wait above a gap: give up on the gap.
    low_water_ = *above_.begin();
    above_.erase(above_.begin());
    AdvanceOverContiguous();
  }
  DRPC_ASSERT(above_.size() <= max_above_, "the used-id set outgrew its bound");
  DRPC_ASSERT(IsUsed(id), "an id just marked must read as used");
  DRPC_ASSERT(above_.empty() || *above_.begin() > low_water_ + 1,
              "the set must not hold the id right above the low-water mark");
}

void UsedStreamIds::AdvanceOverContiguous() {
  // Each round removes one element, so the loop is bounded by the set size.
  while (!above_.empty() && *above_.begin() == low_water_ + 1) {
    low_water_ = *above_.begin();
    above_.erase(above_.begin());
  }
}

}  // namespace drpc::manager
