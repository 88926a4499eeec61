// BufferPool: the message buffers of one connection, shared by all its
// streams' receive rings. Buffers keep the capacity they grew to, within
// the caps of BufferPoolOptions. Thread-safe.
//
//   auto pool = BufferPool::Create();          // one per connection
//   PooledBuffer b = pool->Get();              // size 0, capacity >= 4 KiB
//   b.bytes().Append(data);                    // fill it (it grows as needed)
//   pool->Put(std::move(b));                   // or just let `b` go out of scope
//
// Contract, lifetimes and what checked builds add (the ownership ledger):
// docs/stream.md, "Buffer pool, ring, lease and ledger".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/check.h"
#include "drpc/base/resource_meter.h"
#include "drpc/rt/mutex.h"
#include "drpc/stream/internal/pool_block.h"

namespace drpc::stream {

// DRPC_CHECKED as a constant, for `if constexpr`.
inline constexpr bool kCheckedBuild = DRPC_CHECKED != 0;

struct BufferPoolOptions {
  std::string name = "pool";  // shown in ledger reports
  // New buffers start at 4 KiB; 0 allocates only when filled, with the size
  // needed (the benchmark's fresh-allocation baseline).
  size_t initial_capacity_bytes = 4 * 1024;
  size_t max_kept_buffer_bytes = 256 * 1024;  // buffers with more capacity are "large"
  size_t max_kept_buffers = 1024;             // free buffers kept at most
  size_t max_kept_bytes = size_t{8} << 20;    // total capacity of the free buffers kept, but large
  // Total capacity of the large free buffers kept, apart from the others so
  // they never push those out (0: a large buffer is freed when returned).
  // One default-sized packet's worth: a stream of messages over 256 KiB
  // reuses its assembly buffers instead of growing new ones each time
  // (docs/stream.md, "Size classes").
  size_t max_kept_large_bytes = size_t{4} << 20;
  // TryGet picks a kept buffer big enough for the message (false: the most
  // recently kept, whatever its size; the measured alternative in
  // bench/stream, docs/stream.md "Size classes").
  bool reuse_by_size = true;
  // Where the pool counts the capacity it lends (kPoolLent) and keeps
  // (kPoolKept): the connection's meter. Null: a meter of the pool's own.
  std::shared_ptr<ResourceMeter> meter = nullptr;
};

struct BufferPoolStats {
  uint64_t lent = 0;              // buffers out now
  uint64_t kept = 0;              // free buffers held for reuse
  uint64_t kept_bytes = 0;        // their capacity
  uint64_t kept_large_bytes = 0;  // of which in buffers over max_kept_buffer_bytes
  uint64_t created = 0;           // buffers whose bytes were allocated by Get
  uint64_t reused = 0;            // Gets served from the free list
  uint64_t dropped = 0;           // returned buffers freed because of a cap
  uint64_t dropped_bytes = 0;
};

class BufferPool;
class Lease;

// A buffer lent by a pool: move-only; going out of scope returns it. It
// refers to its pool without owning it.
class PooledBuffer {
 public:
  PooledBuffer() = default;
  PooledBuffer(PooledBuffer&& other) noexcept { *this = std::move(other); }
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;
  ~PooledBuffer() { Reset(); }

  bool has_value() const { return block_ != nullptr; }
  // The bytes (size 0 when fresh from Get). Checked builds assert the buffer
  // was not released behind this handle's back.
  Buffer& bytes();
  const Buffer& bytes() const;
  Bytes view() const { return bytes().view(); }
  size_t size() const { return bytes().size(); }
  // The buffer's identity within its pool (ledger reports name it "#index").
  uint32_t index() const;
  BufferPool* pool() const { return pool_; }

  // Returns the buffer to its pool now (no-op when empty).
  void Reset();

 private:
  friend class BufferPool;
  friend class RingBuffer;
  using Block = internal::Block;

  PooledBuffer(BufferPool* pool, Block* block) : pool_(pool), block_(block), lending_(*block) {}
  // Gives up the block without returning it: the caller (a ring) owns it now.
  Block* TakeBlock();

  BufferPool* pool_ = nullptr;
  Block* block_ = nullptr;
  [[no_unique_address]] internal::Lending lending_;
};

class BufferPool {
 public:
  static std::shared_ptr<BufferPool> Create(BufferPoolOptions options = {}) {
    return std::make_shared<BufferPool>(std::move(options));
  }
  explicit BufferPool(BufferPoolOptions options = {});
  // Reports buffers still lent (a leak, or handles about to dangle).
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // A buffer of size 0 and whatever capacity it kept (at least
  // initial_capacity_bytes when new). Allocates only when nothing is kept.
  PooledBuffer Get();
  // A buffer with capacity for `size` bytes, counted in the meter only if
  // the connection stays within its receive limit (ResourceMeter::
  // ReceiveLimit); empty if it would not, even after the pool freed the
  // buffers it keeps for reuse. What a ring fills with a peer's message.
  PooledBuffer TryGet(size_t size);
  // The same for the first frame of a packet that has more to come (its
  // size is not known yet): the kept buffer with the most capacity, so the
  // packet grows (and moves its bytes) as rarely as possible.
  PooledBuffer TryGetLargest(size_t size);
  // Takes a buffer back; an empty one does nothing. A buffer of another pool
  // is a contract violation, reported.
  void Put(PooledBuffer buffer);

  BufferPoolStats stats() const;
  const BufferPoolOptions& options() const { return options_; }
  // The meter the pool counts in (never null); the rings and streams of the
  // pool count their own bytes in it too.
  ResourceMeter& meter() const { return *meter_; }
  const std::shared_ptr<ResourceMeter>& shared_meter() const { return meter_; }

  // At connection teardown: every buffer must be back. Reports the first one
  // still lent, with its history (checked) or the count (unchecked).
  void CheckAllReturned() const;

  // Checked builds: the conservation equation, checked against every ring of
  // this pool (docs/stream.md). Takes no lock and performs no rt operation:
  // call it only while no other task can run (a simulator step hook, or a
  // quiescent test). Unchecked builds: does nothing.
  void CheckConservation() const;

 private:
  friend class PooledBuffer;
  friend class RingBuffer;
  friend class Lease;
  using Block = internal::Block;

  // Checked builds: the rings to audit, in id order.
  struct RingRegistry {
    struct Entry {
      uint32_t id = 0;
      const RingBuffer* ring = nullptr;
    };
    std::vector<Entry> entries;
    uint32_t next_id = 1;
    // Scratch for CheckConservation (one tally per entry), kept so the
    // per-step check does not allocate.
    mutable std::vector<internal::RingTally> tallies;
  };

  // Takes back a lent block. `generation` is the lending the caller's handle
  // is of; `op` names the return in the ledger ("done", "put", ...).
  void Return(Block* block, uint64_t generation, const char* op);
  // Checked: asserts `block` is still lent under `generation` (a read through
  // a handle whose buffer was released since is a use after release).
  void CheckStillLent(const Block* block, uint64_t generation, const char* op) const;
  // Checked: whether `block` is still in the lending `generation` and held
  // by the consumer of ring `ring_id`. Takes the lock: a block's generation
  // changes only under it, and another ring's producer may be reusing it.
  bool HeldBy(const Block* block, uint64_t generation, uint32_t ring_id) const;
  // Checked: rings register for the conservation check; returns the ring's
  // ledger number (0 in unchecked builds).
  uint32_t RegisterRing(const RingBuffer* ring);
  void UnregisterRing(uint32_t id);

  // A lent block's capacity may have grown while it was filled: counts the
  // change in kPoolLent. Called by the block's current owner.
  void Remeter(Block* block) {
    const size_t capacity = block->bytes.capacity();
    if (capacity == block->metered) return;
    meter_->AddBytes(ResourceKind::kPoolLent,
                     static_cast<int64_t>(capacity) - static_cast<int64_t>(block->metered));
    block->metered = capacity;
  }
  // Room for `size` bytes in a lent block (its owner calls), growing it at
  // least twofold up to `max_size` if the meter's receive limit allows;
  // false (nothing changed) if it does not. Counts a move of its bytes.
  bool TryGrow(Block* block, size_t size, size_t max_size);
  // mu_ held. A free block, its capacity counted as lent (0 if it has none):
  // with options_.reuse_by_size, the most recently kept one with at least
  // `wanted` capacity if there is one (`largest`: the one with the most);
  // otherwise the most recently kept.
  Block* TakeFreeLocked(size_t wanted = 0, bool largest = false);
  PooledBuffer TryGetLocked(size_t size, bool largest);
  // mu_ held, kept_ not empty: the index TakeFreeLocked takes (reuse_by_size),
  // or kept_.size() if none suits (only large ones kept, for a small size).
  size_t PickKeptLocked(size_t wanted, bool largest) const;
  // mu_ held. The block TakeFreeLocked gave, not lent after all.
  void UntakeLocked(Block* block);
  // mu_ held. Lends a taken block: the ledger and the stats.
  PooledBuffer LendLocked(Block* block);
  // mu_ held. Frees every kept buffer (the connection is short of budget).
  void DropKeptLocked();
  bool Owns(const Block* block) const;
  std::string NameOf(const Block& block) const;
  void KeepOrDrop(Block* block);
  // A buffer (or a size) over max_kept_buffer_bytes: kept within
  // max_kept_large_bytes, lent only for a large or unknown size.
  bool IsLarge(size_t capacity) const { return capacity > options_.max_kept_buffer_bytes; }
  // mu_ held. Counts `capacity` into (sign +1) or out of (-1) the kept stats.
  void CountKeptLocked(size_t capacity, int sign);

  const BufferPoolOptions options_;
  const std::shared_ptr<ResourceMeter> meter_;
  mutable rt::Mutex mu_;
  std::vector<std::unique_ptr<Block>> blocks_;  // every block made; guarded by mu_
  std::vector<Block*> kept_;                    // free with bytes, LIFO (warmest on top)
  std::vector<Block*> spare_;                   // free headers whose bytes were freed
  BufferPoolStats stats_;
  [[no_unique_address]] std::conditional_t<kCheckedBuild, RingRegistry, internal::Nothing> rings_;
};

// ---- inline parts of PooledBuffer (on every message's path) --------------

inline Buffer& PooledBuffer::bytes() {
  DRPC_ASSERT(block_ != nullptr, "bytes() of an empty PooledBuffer");
  if constexpr (kCheckedBuild) pool_->CheckStillLent(block_, lending_.generation(), "bytes()");
  return block_->bytes;
}

inline const Buffer& PooledBuffer::bytes() const {
  DRPC_ASSERT(block_ != nullptr, "bytes() of an empty PooledBuffer");
  if constexpr (kCheckedBuild) pool_->CheckStillLent(block_, lending_.generation(), "bytes()");
  return block_->bytes;
}

inline PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  if (this != &other) {
    Reset();
    pool_ = std::exchange(other.pool_, nullptr);
    block_ = std::exchange(other.block_, nullptr);
    lending_ = other.lending_;
  }
  return *this;
}

inline uint32_t PooledBuffer::index() const {
  DRPC_ASSERT(block_ != nullptr, "index() of an empty PooledBuffer");
  return block_->index;
}

inline void PooledBuffer::Reset() {
  if (block_ == nullptr) return;
  Block* block = std::exchange(block_, nullptr);
  std::exchange(pool_, nullptr)->Return(block, lending_.generation(), "put");
}

inline internal::Block* PooledBuffer::TakeBlock() {
  DRPC_ASSERT(block_ != nullptr, "an empty PooledBuffer cannot be handed over");
  pool_ = nullptr;
  return std::exchange(block_, nullptr);
}

}  // namespace drpc::stream
