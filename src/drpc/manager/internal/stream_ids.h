// UsedStreamIds: which incoming stream ids a server connection has already
// seen (drpc-protocol.md §4.4, §4.10), kept as a low-water mark plus a
// bounded set of ids above it. Out-of-order ids are accepted as long as
// they were never used; docs/manager.md, "Stream ids", gives the rule and
// what the bound costs.
//
//   UsedStreamIds used(/*max_above_low_water=*/4096);
//   if (used.IsUsed(id)) return ProtocolError(...);
//   used.MarkUsed(id);
//
// O(log n) per operation. Not thread-safe: the connection's reader task owns it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>

namespace drpc::manager {

class UsedStreamIds {
 public:
  explicit UsedStreamIds(size_t max_above_low_water);

  bool IsUsed(uint64_t id) const;
  // Marks a new id used. `id` must not be used yet.
  void MarkUsed(uint64_t id);

  uint64_t low_water() const { return low_water_; }
  size_t above_low_water() const { return above_.size(); }

 private:
  void AdvanceOverContiguous();

  const size_t max_above_;
  uint64_t low_water_ = 0;  // every id <= low_water_ is used (id 0 always)
  std::set<uint64_t> above_;
};

}  // namespace drpc::manager
