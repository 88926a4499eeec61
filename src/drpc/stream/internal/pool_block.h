// Internals shared by the pool, the ring and the lease: the header each
// pooled buffer lives in, and what checked builds add to it. Not an API
// (docs/stream.md, "Buffer pool, ring, lease and ledger").
#pragma once

#include <cstddef>
#include <cstdint>

#include "drpc/base/buffer.h"
#include "drpc/stream/ledger.h"

namespace drpc::stream {

class RingBuffer;

namespace internal {

// What an unchecked build keeps where a checked one keeps ledger state.
struct Nothing {};

// One pooled buffer. Headers are never freed while their pool lives (a block
// whose bytes are dropped keeps its header for reuse), so a stale pointer to
// one is always safe to inspect.
struct Block {
  Buffer bytes;
  uint32_t index = 0;  // identity within the pool: its position in the pool's block list
  // The capacity counted in the meter's kPoolLent while the block is lent.
  size_t metered = 0;
#if DRPC_CHECKED
  // Changes every time the block is lent or returned, so a handle from an
  // earlier lending is seen to be stale from the header alone.
  uint64_t generation = 0;
  LedgerRecord record;
#else
  static constexpr uint64_t generation = 0;
#endif

  // Records a move in the block's ledger record; nothing in unchecked builds.
  void Record(const char* op, Place to, uint64_t lending, uint32_t ring = 0, uint32_t slot = 0) {
#if DRPC_CHECKED
    record.Move(op, to, lending, ring, slot);
#else
    (void)op, (void)to, (void)lending, (void)ring, (void)slot;
#endif
  }
};

// The lending a handle (PooledBuffer, Lease) is of: the block's generation
// when it was lent. Empty in unchecked builds.
class Lending {
 public:
  Lending() = default;
  explicit Lending(const Block& block) {
#if DRPC_CHECKED
    generation_ = block.generation;
#else
    (void)block;
#endif
  }
#if DRPC_CHECKED
  uint64_t generation() const { return generation_; }

 private:
  uint64_t generation_ = 0;
#else
  static constexpr uint64_t generation() { return 0; }
#endif
};

// The ledger's view of one ring, for the conservation check: the pool
// counts the records that name the ring, the ring checks them against its
// own slots.
struct RingTally {
  uint32_t producer = 0;    // records with the ring's producer
  uint32_t queued = 0;      // records queued in the ring
  uint32_t held = 0;        // records held by the ring's consumer
  uint32_t assembling = 0;  // records being assembled for the ring's stream
  const Block* assembling_block = nullptr;
  const Block* held_block = nullptr;      // one of the held ones
  const Block* producer_block = nullptr;  // one of the producer's ones
};

}  // namespace internal
}  // namespace drpc::stream
