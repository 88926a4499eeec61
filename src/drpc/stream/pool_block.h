// Internals shared by the pool, the ring and the lease: the block header
// each pooled buffer lives in, and what checked builds add to it. Not an API.
#pragma once

#include <cstdint>

#include "drpc/base/buffer.h"
#include "drpc/stream/ledger.h"

namespace drpc::stream::detail {

// What a checked build keeps per block: a generation that changes every time
// the block is lent or returned (so a handle from an earlier lending is seen
// to be stale without touching anything but the header, which lives as long
// as the pool), and the ledger record.
template <bool kChecked>
struct BlockTracking {};
template <>
struct BlockTracking<true> {
  uint64_t generation = 0;
  LedgerRecord record;
};

// One pooled buffer. Headers are never freed while their pool lives (a block
// whose bytes are dropped keeps its header for reuse), so a stale pointer to
// one is always safe to inspect.
template <bool kChecked>
struct Block {
  Buffer bytes;
  uint32_t index = 0;  // identity within the pool: its position in the pool's block list
  [[no_unique_address]] BlockTracking<kChecked> track;
};

// The generation a handle (PooledBuffer, Lease) was lent under; nothing in
// unchecked builds.
template <bool kChecked>
struct Generation {
  static constexpr uint64_t value = 0;
  void set(uint64_t) {}
};
template <>
struct Generation<true> {
  uint64_t value = 0;
  void set(uint64_t v) { value = v; }
};

template <bool kChecked>
uint64_t GenerationOf(const Block<kChecked>& block) {
  if constexpr (kChecked) {
    return block.track.generation;
  } else {
    return 0;
  }
}

// The ledger's view of one ring, for the conservation check: the pool
// counts the records that name the ring, the ring checks them against its
// own slots.
struct RingTally {
  uint32_t producer = 0;                 // records with the ring's producer
  uint32_t queued = 0;                   // records queued in the ring
  uint32_t held = 0;                     // records held by the ring's consumer
  const void* held_block = nullptr;      // one of the held ones
  const void* producer_block = nullptr;  // one of the producer's ones
};
using RingAuditFn = void (*)(const void* ring, const RingTally& tally);
struct RingAuditEntry {
  uint32_t id = 0;
  const void* ring = nullptr;
  RingAuditFn audit = nullptr;
};

}  // namespace drpc::stream::detail
