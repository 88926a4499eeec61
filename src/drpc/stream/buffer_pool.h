// BufferPool: the message buffers of one connection, shared by all its
// streams' receive rings (drpc-protocol.md §3.2, §3.5; architecture.md "The
// buffer pool contract").
//
//   auto pool = BufferPool::Create();          // one per connection
//   PooledBuffer b = pool->Get();              // size 0, capacity >= 4 KiB
//   b.bytes().Append(data);                    // fill it (it grows as needed)
//   pool->Put(std::move(b));                   // or just let `b` go out of scope
//
// Buffers keep the capacity they grew to (high-water reuse, so steady traffic
// allocates nothing), within caps so a burst of huge messages does not pin
// memory forever: a returned buffer larger than max_kept_buffer_bytes, or
// beyond max_kept_buffers / max_kept_bytes, is freed and counted as dropped.
// Get and Put are thread-safe (rt::Mutex) and deterministic in the simulator.
//
// Lifetime: a PooledBuffer refers to its pool without owning it; whoever holds
// one keeps the pool alive (the ring and the Lease hold it by shared_ptr).
// Destroying a pool with buffers still lent is a bug the pool reports.
//
// Checked builds (template argument kChecked, on when DRPC_CHECKED=1) keep the
// ownership ledger (ledger.h) in every buffer's header and poison released
// bytes (memory_poison.h); unchecked builds compile all of it out. Both
// instantiations exist in every build, so a benchmark can compare them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/check.h"
#include "drpc/rt/mutex.h"
#include "drpc/stream/pool_block.h"

namespace drpc::stream {

// DRPC_CHECKED as a constant: picks the instantiation the library uses.
inline constexpr bool kCheckedBuild = DRPC_CHECKED != 0;

struct BufferPoolOptions {
  std::string name = "pool";  // shown in ledger reports
  // New buffers start at 4 KiB (§3.2); 0 allocates only when filled, with
  // the size needed (the benchmark's fresh-allocation baseline).
  size_t initial_capacity_bytes = 4 * 1024;
  size_t max_kept_buffer_bytes = 256 * 1024;  // a returned buffer with more capacity is freed
  size_t max_kept_buffers = 1024;             // free buffers kept at most
  size_t max_kept_bytes = size_t{8} << 20;    // total capacity of the free buffers kept
};

struct BufferPoolStats {
  uint64_t lent = 0;        // buffers out now
  uint64_t kept = 0;        // free buffers held for reuse
  uint64_t kept_bytes = 0;  // their capacity
  uint64_t created = 0;     // buffers whose bytes were allocated by Get
  uint64_t reused = 0;      // Gets served from the free list
  uint64_t dropped = 0;     // returned buffers freed because of a cap
  uint64_t dropped_bytes = 0;
};

template <bool kChecked>
class BasicBufferPool;
template <class Policy>
class BasicRingBuffer;
template <class Policy>
class BasicLease;

// A buffer lent by a pool: move-only; going out of scope returns it.
template <bool kChecked>
class BasicPooledBuffer {
 public:
  BasicPooledBuffer() = default;
  BasicPooledBuffer(BasicPooledBuffer&& other) noexcept { *this = std::move(other); }
  BasicPooledBuffer& operator=(BasicPooledBuffer&& other) noexcept;
  BasicPooledBuffer(const BasicPooledBuffer&) = delete;
  BasicPooledBuffer& operator=(const BasicPooledBuffer&) = delete;
  ~BasicPooledBuffer() { Reset(); }

  bool has_value() const { return block_ != nullptr; }
  // The bytes (size 0 when fresh from Get). Checked builds assert the buffer
  // was not released behind this handle's back.
  Buffer& bytes();
  const Buffer& bytes() const;
  Bytes view() const { return bytes().view(); }
  size_t size() const { return bytes().size(); }
  // The buffer's identity within its pool (ledger reports name it "#index").
  uint32_t index() const;
  BasicBufferPool<kChecked>* pool() const { return pool_; }

  // Returns the buffer to its pool now (no-op when empty).
  void Reset();

 private:
  friend class BasicBufferPool<kChecked>;
  template <class Policy>
  friend class BasicRingBuffer;
  using Block = detail::Block<kChecked>;

  BasicPooledBuffer(BasicBufferPool<kChecked>* pool, Block* block) : pool_(pool), block_(block) {
    generation_.set(detail::GenerationOf(*block));
  }
  // Gives up the block without returning it: the caller (a ring) owns it now.
  Block* TakeBlock();

  BasicBufferPool<kChecked>* pool_ = nullptr;
  Block* block_ = nullptr;
  [[no_unique_address]] detail::Generation<kChecked> generation_;
};

template <bool kChecked>
class BasicBufferPool {
 public:
  using PooledBuffer = BasicPooledBuffer<kChecked>;

  static std::shared_ptr<BasicBufferPool> Create(BufferPoolOptions options = {}) {
    return std::make_shared<BasicBufferPool>(std::move(options));
  }
  explicit BasicBufferPool(BufferPoolOptions options = {});
  // Reports buffers still lent (a leak, or handles about to dangle).
  ~BasicBufferPool();
  BasicBufferPool(const BasicBufferPool&) = delete;
  BasicBufferPool& operator=(const BasicBufferPool&) = delete;

  // A buffer of size 0 and whatever capacity it kept (at least
  // initial_capacity_bytes when new). Allocates only when nothing is kept.
  PooledBuffer Get();
  // Takes a buffer back; an empty one does nothing (Go's Put(nil)). A buffer
  // of another pool is a contract violation, reported.
  void Put(PooledBuffer buffer);

  BufferPoolStats stats() const;
  const BufferPoolOptions& options() const { return options_; }

  // At connection teardown: every buffer must be back. Reports the first one
  // still lent, with its history (checked) or the count (unchecked).
  void CheckAllReturned() const;

  // Checked builds: the conservation equation of §3.6 and its parts, checked
  // against every ring of this pool:
  //   lent = owned + with producers + queued + held,
  //   each ring's slots hold exactly the buffers the ledger says are queued
  //   there, at most one producer buffer (and only inside Enqueue) and at most
  //   one held buffer per ring, the free list holds exactly the free buffers.
  // Performs no rt operation and takes no lock: call it only while no other
  // task can run (the simulator's per-step hook, or a quiescent test).
  // Unchecked builds: does nothing.
  void CheckConservation() const;

 private:
  friend class BasicPooledBuffer<kChecked>;
  template <class Policy>
  friend class BasicRingBuffer;
  template <class Policy>
  friend class BasicLease;
  using Block = detail::Block<kChecked>;

  // Checked builds: the rings to audit.
  struct Rings {
    std::vector<detail::RingAuditEntry> entries;  // in id order
    uint32_t next_id = 1;
    // Scratch for CheckConservation (one tally per entry), kept so the
    // per-step check does not allocate.
    mutable std::vector<detail::RingTally> tallies;
  };
  struct NoRings {};

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
  uint32_t RegisterRing(const void* ring, detail::RingAuditFn audit);
  void UnregisterRing(uint32_t id);

  bool Owns(const Block* block) const;
  std::string NameOf(const Block& block) const;
  void KeepOrDrop(Block* block);
  void CheckConservationLocked() const;

  const BufferPoolOptions options_;
  mutable rt::Mutex mu_;
  std::vector<std::unique_ptr<Block>> blocks_;  // every block made; guarded by mu_
  std::vector<Block*> kept_;                    // free with bytes, LIFO (warmest on top)
  std::vector<Block*> spare_;                   // free headers whose bytes were freed
  BufferPoolStats stats_;
  [[no_unique_address]] std::conditional_t<kChecked, Rings, NoRings> rings_;
};

using BufferPool = BasicBufferPool<kCheckedBuild>;
using PooledBuffer = BasicPooledBuffer<kCheckedBuild>;

// ---- inline parts of BasicPooledBuffer -----------------------------------

template <bool kChecked>
BasicPooledBuffer<kChecked>& BasicPooledBuffer<kChecked>::operator=(
    BasicPooledBuffer&& other) noexcept {
  if (this != &other) {
    Reset();
    pool_ = other.pool_;
    block_ = other.block_;
    generation_ = other.generation_;
    other.pool_ = nullptr;
    other.block_ = nullptr;
  }
  return *this;
}

template <bool kChecked>
Buffer& BasicPooledBuffer<kChecked>::bytes() {
  DRPC_ASSERT(block_ != nullptr, "bytes() of an empty PooledBuffer");
  if constexpr (kChecked) pool_->CheckStillLent(block_, generation_.value, "bytes()");
  return block_->bytes;
}

template <bool kChecked>
const Buffer& BasicPooledBuffer<kChecked>::bytes() const {
  DRPC_ASSERT(block_ != nullptr, "bytes() of an empty PooledBuffer");
  if constexpr (kChecked) pool_->CheckStillLent(block_, generation_.value, "bytes()");
  return block_->bytes;
}

template <bool kChecked>
uint32_t BasicPooledBuffer<kChecked>::index() const {
  DRPC_ASSERT(block_ != nullptr, "index() of an empty PooledBuffer");
  return block_->index;
}

template <bool kChecked>
void BasicPooledBuffer<kChecked>::Reset() {
  if (block_ == nullptr) return;
  Block* block = block_;
  block_ = nullptr;
  pool_->Return(block, generation_.value, "put");
  pool_ = nullptr;
}

template <bool kChecked>
typename BasicPooledBuffer<kChecked>::Block* BasicPooledBuffer<kChecked>::TakeBlock() {
  DRPC_ASSERT(block_ != nullptr, "an empty PooledBuffer cannot be handed over");
  Block* block = block_;
  block_ = nullptr;
  pool_ = nullptr;
  return block;
}

extern template class BasicBufferPool<true>;
extern template class BasicBufferPool<false>;

}  // namespace drpc::stream
