// Lease: what a ring's Dequeue hands the consumer (drpc-protocol.md §3.5.3).
// It owns the dequeued buffer: view() shows the message, Done() (or the
// destructor) returns the buffer to the pool, exactly once. It holds the
// pool, not the ring, so Done works after Close and after the ring is gone.
//
//   Result<Lease> next = ring.Dequeue();
//   if (!next.ok()) return next.status();     // closed and drained
//   Decode(next->view());                     // must not keep pointers into the view
//   next->Done();                             // the view is invalid from here on
#pragma once

#include <memory>
#include <utility>

#include "drpc/base/bytes.h"
#include "drpc/base/check.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/pool_block.h"
#include "drpc/stream/ring_policy.h"

namespace drpc::stream {

template <class Policy>
class BasicLease {
 public:
  static constexpr bool kChecked = Policy::kChecked;
  using Pool = BasicBufferPool<kChecked>;

  BasicLease() = default;  // empty: has_value() is false
  BasicLease(BasicLease&& other) noexcept { *this = std::move(other); }
  BasicLease& operator=(BasicLease&& other) noexcept {
    if (this != &other) {
      Done();
      pool_ = std::move(other.pool_);
      block_ = std::exchange(other.block_, nullptr);
      generation_ = other.generation_;
    }
    return *this;
  }
  BasicLease(const BasicLease&) = delete;
  BasicLease& operator=(const BasicLease&) = delete;
  ~BasicLease() { Done(); }

  bool has_value() const { return block_ != nullptr; }

  // The message. Valid until Done. Checked builds verify, on every call,
  // that the buffer was not released behind the lease's back (a use after
  // release), so read through fresh view() calls rather than keeping one.
  Bytes view() const {
    DRPC_ASSERT(block_ != nullptr, "view() of an empty or finished lease");
    if constexpr (kChecked) pool_->CheckStillLent(block_, generation_.value, "a lease view");
    return block_->bytes.view();
  }
  size_t size() const { return view().size(); }
  // The buffer's identity within its pool (for reports and tests).
  uint32_t buffer_index() const {
    DRPC_ASSERT(block_ != nullptr, "buffer_index() of an empty lease");
    return block_->index;
  }

  // Returns the buffer to its pool. Once per lease; later calls (and the
  // destructor) do nothing.
  void Done() {
    if (block_ == nullptr) return;
    auto* block = std::exchange(block_, nullptr);
    std::shared_ptr<Pool> pool = std::move(pool_);
    if constexpr (Policy::kBug == RingBug::kPreFix89d4b63) {
      // Planted: the ring's Close already took the buffer back, so Done
      // quietly does nothing, as upstream's did.
      if (detail::GenerationOf(*block) != generation_.value) return;
    }
    pool->Return(block, generation_.value, "done");
    if constexpr (Policy::kBug == RingBug::kDoubleDone) {
      pool->Return(block, generation_.value, "done (planted second)");  // planted
    }
  }

 private:
  template <class P>
  friend class BasicRingBuffer;
  using Block = detail::Block<kChecked>;

  BasicLease(std::shared_ptr<Pool> pool, Block* block) : pool_(std::move(pool)), block_(block) {
    generation_.set(detail::GenerationOf(*block));
  }

  std::shared_ptr<Pool> pool_;
  Block* block_ = nullptr;
  [[no_unique_address]] detail::Generation<kChecked> generation_;
};

}  // namespace drpc::stream
