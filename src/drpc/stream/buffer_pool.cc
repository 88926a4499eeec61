#include "drpc/stream/buffer_pool.h"

#include <algorithm>
#include <string>
#include <utility>

#include "drpc/base/copy_count.h"
#include "drpc/stream/internal/memory_poison.h"
#include "drpc/stream/ring_buffer.h"

namespace drpc::stream {

BufferPool::BufferPool(BufferPoolOptions options)
    : options_(std::move(options)),
      meter_(options_.meter != nullptr ? options_.meter : std::make_shared<ResourceMeter>()),
      mu_("buffer pool") {
  DRPC_ASSERT(options_.initial_capacity_bytes <= options_.max_kept_buffer_bytes,
              "the pool would drop every buffer it makes");
}

BufferPool::~BufferPool() {
  // No lock: nobody else can reach a pool that is being destroyed, except
  // through a handle that outlived it, which is the bug reported here.
  if (stats_.lent != 0) CheckAllReturned();
#if DRPC_CHECKED
  DRPC_ASSERT(rings_.entries.empty(), "a pool destroyed before one of its rings");
#endif
  for (Block* block : kept_) internal::UnpoisonLent(block->bytes.data(), block->bytes.capacity());
  // The kept buffers go with the pool.
  meter_->AddBytes(ResourceKind::kPoolKept, -static_cast<int64_t>(stats_.kept_bytes));
}

size_t BufferPool::PickKeptLocked(size_t wanted, bool largest) const {
  // Newest first, so among equals the warmest wins; bounded by
  // max_kept_buffers. A buffer at most twice what is wanted (or the
  // initial size) is good enough to stop at.
  const size_t enough = std::max(wanted, options_.initial_capacity_bytes) * 2;
  // A large buffer only for a large or unknown size: lent to a small
  // message it would be out of reach of the packets it is kept for, which
  // would then grow more of them (16 lent 4 MiB buffers in
  // bench_stream_sizes' window before this rule).
  const bool large_allowed = largest || IsLarge(wanted);
  size_t pick = kept_.size();  // none yet
  for (size_t i = kept_.size(); i-- > 0;) {
    const size_t capacity = kept_[i]->bytes.capacity();
    if (!large_allowed && IsLarge(capacity)) continue;
    const size_t best = pick == kept_.size() ? 0 : kept_[pick]->bytes.capacity();
    const bool better =
        pick == kept_.size() ||
        (largest
             ? capacity > best                                             // the largest
             : capacity >= wanted && (best < wanted || capacity < best));  // the smallest that fits
    if (better) pick = i;
    const size_t picked = kept_[pick]->bytes.capacity();
    if (!largest && picked >= wanted && picked <= enough) break;
  }
  return pick;  // kept_.size(): none may be taken
}

BufferPool::Block* BufferPool::TakeFreeLocked(size_t wanted, bool largest) {
  Block* block = nullptr;
  const size_t pick = kept_.empty()            ? 0
                      : options_.reuse_by_size ? PickKeptLocked(wanted, largest)
                                               : kept_.size() - 1;  // the warmest
  if (pick < kept_.size()) {
    block = kept_[pick];
    kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(pick));
    CountKeptLocked(block->bytes.capacity(), -1);
    meter_->MovePoolBytesToKept(-static_cast<int64_t>(block->bytes.capacity()));
    block->metered = block->bytes.capacity();
    ++stats_.reused;
    if constexpr (kCheckedBuild) {
      internal::UnpoisonLent(block->bytes.data(), block->bytes.capacity());
    }
    return block;
  }
  if (!spare_.empty()) {
    block = spare_.back();
    spare_.pop_back();
  } else {
    DRPC_ASSERT(blocks_.size() < UINT32_MAX, "buffer identities exhausted");
    blocks_.push_back(std::make_unique<Block>());
    block = blocks_.back().get();
    block->index = static_cast<uint32_t>(blocks_.size() - 1);
  }
  DRPC_ASSERT(block->bytes.capacity() == 0, "a spare block still has bytes");
  block->metered = 0;
  ++stats_.created;
  return block;
}

void BufferPool::UntakeLocked(Block* block) {
  const size_t capacity = block->bytes.capacity();
  if (capacity == 0) {
    --stats_.created;
    spare_.push_back(block);
    return;
  }
  --stats_.reused;
  if constexpr (kCheckedBuild) internal::PoisonReleased(block->bytes.data(), 0, capacity);
  block->metered = 0;
  kept_.push_back(block);
  CountKeptLocked(capacity, +1);
  meter_->MovePoolBytesToKept(static_cast<int64_t>(capacity));
}

void BufferPool::CountKeptLocked(size_t capacity, int sign) {
  DRPC_ASSERT(sign == 1 || sign == -1, "a kept buffer is counted in or out");
  const bool large = IsLarge(capacity);
  if (sign > 0) {
    ++stats_.kept;
    stats_.kept_bytes += capacity;
    if (large) stats_.kept_large_bytes += capacity;
  } else {
    DRPC_ASSERT(stats_.kept > 0 && stats_.kept_bytes >= capacity, "uncounting a buffer not kept");
    --stats_.kept;
    stats_.kept_bytes -= capacity;
    if (large) {
      DRPC_ASSERT(stats_.kept_large_bytes >= capacity, "uncounting a large buffer not kept");
      stats_.kept_large_bytes -= capacity;
    }
  }
}

PooledBuffer BufferPool::LendLocked(Block* block) {
  DRPC_ASSERT(block->bytes.empty(), "a free buffer was not cleared");
  ++stats_.lent;
#if DRPC_CHECKED
  DRPC_ASSERT(!IsLent(block->record.place()), "Get of a buffer that is still lent");
  ++block->generation;
  block->record.Move("get", Place::kOwned, block->generation);
#endif
  return PooledBuffer(this, block);
}

PooledBuffer BufferPool::Get() {
  rt::LockGuard lock(mu_);
  Block* block = TakeFreeLocked();
  if (block->bytes.capacity() == 0) block->bytes.Reserve(options_.initial_capacity_bytes);
  Remeter(block);  // a new buffer's capacity (a kept one moved to lent above)
  return LendLocked(block);
}

PooledBuffer BufferPool::TryGet(size_t size) {
  rt::LockGuard lock(mu_);
  return TryGetLocked(size, /*largest=*/false);
}

PooledBuffer BufferPool::TryGetLargest(size_t size) {
  rt::LockGuard lock(mu_);
  return TryGetLocked(size, /*largest=*/true);
}

PooledBuffer BufferPool::TryGetLocked(size_t size, bool largest) {
  Block* block = TakeFreeLocked(size, largest);
  const size_t capacity = block->bytes.capacity();
  if (capacity < size || capacity == 0) {
    // Grown as a fresh buffer of exactly what is needed (an empty Buffer
    // reserves what it is asked for, from 64 bytes), so the bytes counted
    // before the allocation are the bytes allocated.
    const size_t wanted = std::max({size, options_.initial_capacity_bytes, size_t{64}});
    const auto more = static_cast<int64_t>(wanted - capacity);
    const int64_t limit = meter_->ReceiveLimit();
    bool counted = meter_->TryAddBytes(ResourceKind::kPoolLent, more, limit);
    if (!counted && !kept_.empty()) {
      DropKeptLocked();  // buffers kept for reuse give way to a message
      counted = meter_->TryAddBytes(ResourceKind::kPoolLent, more, limit);
    }
    if (!counted) {
      UntakeLocked(block);
      return PooledBuffer();
    }
    block->bytes.Release();
    block->bytes.Reserve(wanted);
    DRPC_ASSERT(block->bytes.capacity() == wanted, "a fresh buffer reserved more than asked");
    block->metered = wanted;
  }
  return LendLocked(block);
}

bool BufferPool::TryGrow(Block* block, size_t size, size_t max_size) {
  Buffer& bytes = block->bytes;
  if (size <= bytes.capacity()) return true;
  // Twofold (Buffer's own growth), so a packet of many frames moves its
  // bytes O(1) times per byte, but not past what a packet may hold.
  const size_t capacity =
      std::max({size, std::min(bytes.capacity() * 2, std::max(max_size, size)), size_t{64}});
  Remeter(block);
  const auto more = static_cast<int64_t>(capacity - block->metered);
  if (!meter_->TryAddBytes(ResourceKind::kPoolLent, more, meter_->ReceiveLimit())) return false;
  block->metered = capacity;
  CountCopy(CopyPath::kReceive, bytes.size());  // Reallocate moves them
  if (bytes.capacity() < 64 || capacity < bytes.capacity() * 2) {
    // Buffer grows to exactly `capacity` only from an empty buffer or when
    // asked for at least twice its capacity.
    Buffer fresh(capacity);
    fresh.Append(bytes.view());
    bytes = std::move(fresh);
  } else {
    bytes.Reserve(capacity);
  }
  DRPC_ASSERT(bytes.capacity() == capacity, "an assembly buffer grew by more than it counted");
  return true;
}

void BufferPool::DropKeptLocked() {
  for (Block* block : kept_) {
    const size_t capacity = block->bytes.capacity();
    internal::UnpoisonLent(block->bytes.data(), capacity);
    meter_->AddBytes(ResourceKind::kPoolKept, -static_cast<int64_t>(capacity));
    block->bytes.Release();
    block->Record("dropped: the connection is short of budget", Place::kFreed, block->generation);
    spare_.push_back(block);
    ++stats_.dropped;
    stats_.dropped_bytes += capacity;
  }
  kept_.clear();
  stats_.kept = 0;
  stats_.kept_bytes = 0;
  stats_.kept_large_bytes = 0;
}

void BufferPool::Put(PooledBuffer buffer) {
  if (!buffer.has_value()) return;
  if (buffer.pool_ != this) {
#if DRPC_CHECKED
    const Block& foreign = *buffer.block_;
    LedgerViolation("release of a buffer this pool never lent",
                    BufferName(buffer.pool_->options().name, foreign.index, foreign.generation),
                    foreign.record,
                    "put into pool \"" + options_.name + "\", which did not lend it");
#else
    DRPC_ASSERT(false, "Put of a buffer into a pool that did not lend it");
#endif
  }
  const uint64_t generation = buffer.lending_.generation();
  Return(buffer.TakeBlock(), generation, "put");
}

void BufferPool::Return(Block* block, uint64_t generation, const char* op) {
  rt::LockGuard lock(mu_);
#if DRPC_CHECKED
  if (!Owns(block)) {
    LedgerViolation("release of a buffer this pool never lent",
                    "pool \"" + options_.name + "\": the block is not one of its " +
                        std::to_string(blocks_.size()) + " buffers");
  }
  if (block->generation != generation || !IsLent(block->record.place())) {
    LedgerViolation("double release (a buffer returned after it was already returned)",
                    NameOf(*block), block->record,
                    std::string("the returning handle (") + op + ") is of generation " +
                        std::to_string(generation) + ": that lending already ended");
  }
  ++block->generation;
#else
  (void)generation;
#endif
  DRPC_ASSERT(stats_.lent > 0, "a return with nothing lent");
  --stats_.lent;
  KeepOrDrop(block);
  block->Record(op, block->bytes.capacity() == 0 ? Place::kFreed : Place::kInPool,
                block->generation);
}

void BufferPool::KeepOrDrop(Block* block) {
  const size_t capacity = block->bytes.capacity();
  Remeter(block);  // counted as lent at its capacity now: it stays or goes as a whole
  block->metered = 0;
  // Large buffers are kept within a cap of their own, so a burst of them
  // never pushes out the small ones (which small messages would then take
  // large ones for: docs/stream.md, "Size classes").
  const bool large = IsLarge(capacity);
  const bool within_cap =
      large ? stats_.kept_large_bytes + capacity <= options_.max_kept_large_bytes
            : stats_.kept_bytes - stats_.kept_large_bytes + capacity <= options_.max_kept_bytes;
  const bool keep = capacity > 0 && kept_.size() < options_.max_kept_buffers && within_cap;
  if (keep) {
    if constexpr (kCheckedBuild) {
      internal::PoisonReleased(block->bytes.data(), block->bytes.size(), capacity);
    }
    block->bytes.clear();
    kept_.push_back(block);
    CountKeptLocked(capacity, +1);
    meter_->MovePoolBytesToKept(static_cast<int64_t>(capacity));
  } else {
    meter_->AddBytes(ResourceKind::kPoolLent, -static_cast<int64_t>(capacity));
    block->bytes.Release();
    spare_.push_back(block);
    ++stats_.dropped;
    stats_.dropped_bytes += capacity;
  }
}

void BufferPool::CheckStillLent(const Block* block, uint64_t generation, const char* op) const {
#if DRPC_CHECKED
  if (block->generation != generation || !IsLent(block->record.place())) {
    LedgerViolation("use of a buffer after its release", NameOf(*block), block->record,
                    std::string("the handle used for ") + op + " is of generation " +
                        std::to_string(generation) + ": that lending already ended");
  }
#else
  (void)block, (void)generation, (void)op;
#endif
}

bool BufferPool::HeldBy(const Block* block, uint64_t generation, uint32_t ring_id) const {
#if DRPC_CHECKED
  rt::LockGuard lock(mu_);
  // While the generation matches, the block is in the lending the ring's
  // consumer got, so only that consumer (not another ring) can touch it.
  if (block->generation != generation) return false;
  return block->record.place() == Place::kHeld && block->record.ring() == ring_id;
#else
  (void)block, (void)generation, (void)ring_id;
  return false;
#endif
}

BufferPoolStats BufferPool::stats() const {
  rt::LockGuard lock(mu_);
  return stats_;
}

void BufferPool::CheckAllReturned() const {
  // Reads without the lock: a teardown check runs when nothing else uses
  // the pool any more (and the destructor calls it).
  if (stats_.lent == 0) return;
#if DRPC_CHECKED
  for (const auto& block : blocks_) {
    if (IsLent(block->record.place())) {
      LedgerViolation("leak: a buffer is still lent at teardown", NameOf(*block), block->record,
                      std::to_string(stats_.lent) + " buffer(s) of pool \"" + options_.name +
                          "\" were never returned; this is the first");
    }
  }
#endif
  DRPC_ASSERT(false, "leak: " + std::to_string(stats_.lent) + " buffer(s) of pool \"" +
                         options_.name + "\" still lent at teardown");
}

uint32_t BufferPool::RegisterRing(const RingBuffer* ring) {
#if DRPC_CHECKED
  rt::LockGuard lock(mu_);
  const uint32_t id = rings_.next_id++;
  rings_.entries.push_back({id, ring});
  return id;
#else
  (void)ring;
  return 0;
#endif
}

void BufferPool::UnregisterRing(uint32_t id) {
#if DRPC_CHECKED
  rt::LockGuard lock(mu_);
  auto& entries = rings_.entries;
  auto it = std::find_if(entries.begin(), entries.end(),
                         [id](const RingRegistry::Entry& e) { return e.id == id; });
  DRPC_ASSERT(it != entries.end(), "unregistering a ring the pool does not know");
  entries.erase(it);
#else
  (void)id;
#endif
}

bool BufferPool::Owns(const Block* block) const {
  return block != nullptr && block->index < blocks_.size() && blocks_[block->index].get() == block;
}

std::string BufferPool::NameOf(const Block& block) const {
  return BufferName(options_.name, block.index, block.generation);
}

void BufferPool::CheckConservation() const {
#if DRPC_CHECKED
  const auto& rings = rings_.entries;
  // One tally per registered ring, in the registry's (id) order.
  std::vector<internal::RingTally>& tallies = rings_.tallies;
  tallies.assign(rings.size(), internal::RingTally{});
  auto find_ring = [&](uint32_t id) -> internal::RingTally* {
    auto it = std::lower_bound(
        rings.begin(), rings.end(), id,
        [](const RingRegistry::Entry& e, uint32_t wanted) { return e.id < wanted; });
    if (it == rings.end() || it->id != id) return nullptr;
    return &tallies[static_cast<size_t>(it - rings.begin())];
  };
  uint64_t in_pool = 0, freed = 0, lent = 0;
  for (const auto& owned : blocks_) {
    const Block& block = *owned;
    const LedgerRecord& record = block.record;
    switch (record.place()) {
      case Place::kFreed:
        ++freed;
        continue;
      case Place::kInPool:
        ++in_pool;
        continue;
      case Place::kOwned:
        ++lent;
        continue;
      case Place::kAssembling:
      case Place::kProducer:
      case Place::kQueued:
      case Place::kHeld:
        ++lent;
        break;
    }
    internal::RingTally* tally = find_ring(record.ring());
    if (tally == nullptr) {
      // A consumer may keep its lease after the ring is gone; nothing else
      // may outlive the ring.
      if (record.place() == Place::kHeld) continue;
      LedgerViolation(
          "leak: a buffer is in a ring that no longer exists", NameOf(block), record,
          "ring " + std::to_string(record.ring()) + " was destroyed without returning it");
    }
    if (record.place() == Place::kAssembling) {
      ++tally->assembling;
      tally->assembling_block = &block;
    }
    if (record.place() == Place::kProducer) {
      ++tally->producer;
      tally->producer_block = &block;
    }
    if (record.place() == Place::kQueued) ++tally->queued;
    if (record.place() == Place::kHeld) {
      ++tally->held;
      tally->held_block = &block;
    }
  }
  // The pool's own bookkeeping against the records.
  if (lent != stats_.lent || in_pool != kept_.size() || freed != spare_.size()) {
    LedgerViolation("conservation: the pool's counts disagree with the buffers' records",
                    "pool \"" + options_.name + "\" counts lent=" + std::to_string(stats_.lent) +
                        " kept=" + std::to_string(kept_.size()) +
                        " spare=" + std::to_string(spare_.size()) +
                        "; the records say lent=" + std::to_string(lent) +
                        " in-pool=" + std::to_string(in_pool) + " freed=" + std::to_string(freed));
  }
  for (const Block* block : kept_) {
    if (block->record.place() != Place::kInPool) {
      LedgerViolation("conservation: the free list holds a buffer that is not free", NameOf(*block),
                      block->record, "");
    }
  }
  for (size_t i = 0; i < rings.size(); ++i) rings[i].ring->AuditAgainst(tallies[i]);
#endif
}

}  // namespace drpc::stream
