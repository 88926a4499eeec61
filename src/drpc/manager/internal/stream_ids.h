// UsedStreamIds: which incoming stream ids a server connection has already
// seen, kept compactly (drpc-protocol.md §4.4, §4.10: the Go fork forgets
// ids, so a finished id could be invoked again and get a second stream).
//
// The rule. Ids are "used" from the first Invoke or InvokeMetadata frame that
// names them. Id 0 is never valid. The tracker keeps a low-water mark L
// (every id <= L is used) and a set S of used ids above L:
//   * an id is new iff id > L and id is not in S;
//   * when ids fill the gap above L, L rises over them and they leave S;
//   * when S holds more than `max_above_low_water` ids, L jumps to the
//     smallest of them: the ids skipped over by then count as used.
// Why not "ids must increase": a Go fork client allocates ids with an
// atomic counter but writes each stream's Invoke under that stream's own
// lock, so concurrent calls can put their Invokes on the wire slightly out
// of order (id 7 before id 6). Both are legitimately new, and both are
// accepted: an id below the highest seen is fine as long as it was never
// used. A client may also never send an id at all (Go uses the id up even
// when creating the stream fails), so gaps are normal and must not grow S
// forever; the jump bounds it. The cost of the jump: an Invoke arriving more
// than `max_above_low_water` stream ids late is refused as a reuse. With the
// default of 4096 that needs 4096 newer invokes written before it, far more
// than the number of calls that can race (one per calling thread).
//
// Memory is O(max_above_low_water); every operation is O(log n). Not
// thread-safe: the connection's reader task owns it.
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
