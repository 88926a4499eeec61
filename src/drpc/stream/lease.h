// Lease: what a ring's Dequeue hands the consumer. It owns the dequeued
// buffer until Done() (or its destructor) returns it to the pool, exactly
// once; it holds the pool, not the ring, so it may outlive the ring.
//
//   Result<Lease> next = ring.Dequeue();
//   if (!next.ok()) return next.status();     // closed and drained
//   Decode(next->view());                     // must not keep pointers into the view
//   next->Done();                             // the view is invalid from here on
//
// docs/stream.md, "Buffer pool, ring, lease and ledger".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "drpc/base/bytes.h"
#include "drpc/base/check.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/internal/pool_block.h"

namespace drpc::stream {

class Lease {
 public:
  Lease() = default;  // empty: has_value() is false
  Lease(Lease&& other) noexcept { *this = std::move(other); }
  Lease& operator=(Lease&& other) noexcept {
    if (this != &other) {
      Done();
      pool_ = std::move(other.pool_);
      block_ = std::exchange(other.block_, nullptr);
      lending_ = other.lending_;
    }
    return *this;
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { Done(); }

  bool has_value() const { return block_ != nullptr; }

  // The message, valid until Done. Checked builds verify on every call that
  // the buffer was not released behind the lease's back, so read through
  // fresh view() calls rather than keeping one.
  Bytes view() const {
    DRPC_ASSERT(block_ != nullptr, "view() of an empty or finished lease");
    if constexpr (kCheckedBuild) {
      pool_->CheckStillLent(block_, lending_.generation(), "a lease view");
    }
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
    if (block_ != nullptr) Return();
  }

 private:
  friend class RingBuffer;
  using Block = internal::Block;

  Lease(std::shared_ptr<BufferPool> pool, Block* block)
      : pool_(std::move(pool)), block_(block), lending_(*block) {}
  void Return();

  std::shared_ptr<BufferPool> pool_;
  Block* block_ = nullptr;
  [[no_unique_address]] internal::Lending lending_;
};

}  // namespace drpc::stream
