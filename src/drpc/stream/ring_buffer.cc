#include "drpc/stream/ring_buffer.h"

#include <algorithm>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/base/copy_count.h"
#include "drpc/base/plant.h"
#include "drpc/stream/ledger.h"

namespace drpc::stream {

RingBuffer::RingBuffer(std::shared_ptr<BufferPool> pool, RingOptions options)
    : pool_(std::move(pool)),
      options_(std::move(options)),
      mu_("ring"),
      not_empty_("ring not_empty"),
      not_full_("ring not_full"),
      slot_count_(std::min(options_.capacity, kInlineSlots)),
      capacity_(options_.capacity),
      slots_meter_(&pool_->meter(), ResourceKind::kRingSlots) {
  DRPC_ASSERT(pool_ != nullptr, "a ring needs its connection's pool");
  DRPC_ASSERT(options_.capacity > 0, "a ring needs at least one slot");
  DRPC_ASSERT(options_.max_bytes == 0 || options_.max_slots >= options_.capacity,
              "max_slots below the initial capacity");
#if DRPC_CHECKED
  ledger_.id = pool_->RegisterRing(this);
#endif
}

RingBuffer::~RingBuffer() {
#if DRPC_CHECKED
  DRPC_ASSERT(!ledger_.producing,
              "ring \"" + options_.name + "\" destroyed while its producer is inside Enqueue");
#endif
  if (!DRPC_PLANT(kRingLeakQueued)) ReturnQueued("returned: ring destroyed");
#if DRPC_CHECKED
  pool_->UnregisterRing(ledger_.id);
#endif
}

// ---- producer -----------------------------------------------------------

EnqueueResult RingBuffer::Enqueue(Bytes message) {
  PooledBuffer buffer = pool_->TryGet(message.size());
  if (!buffer.has_value()) return EnqueueResult::kOverConnectionBudget;
  BeginProducing(buffer, "enqueue");
  // The copy happens outside the ring's lock: the consumer can dequeue
  // meanwhile.
  buffer.block_->bytes.Append(message);
  CountCopy(CopyPath::kReceive, message.size());
  return Commit(std::move(buffer));
}

// ---- assembly (the producer's task) -------------------------------------

PooledBuffer RingBuffer::TryStartAssembly(size_t size, bool more_frames) {
  PooledBuffer buffer = more_frames ? pool_->TryGetLargest(size) : pool_->TryGet(size);
  if (buffer.has_value()) {
    buffer.block_->Record("assemble", Place::kAssembling, buffer.lending_.generation(),
                          ledger_id());
  }
  return buffer;
}

bool RingBuffer::TryGrowAssembly(PooledBuffer& buffer, size_t size, size_t max_size) {
  DRPC_ASSERT(buffer.has_value() && buffer.pool() == pool_.get(),
              "TryGrowAssembly of a buffer that is not this ring's");
  if constexpr (kCheckedBuild) {
    pool_->CheckStillLent(buffer.block_, buffer.lending_.generation(), "TryGrowAssembly");
  }
  if (!pool_->TryGrow(buffer.block_, size, max_size)) return false;
  buffer.block_->Record("assembly grew", Place::kAssembling, buffer.lending_.generation(),
                        ledger_id());
  return true;
}

void RingBuffer::EndAssembly(PooledBuffer buffer, const char* reason) {
  if (!buffer.has_value()) return;
  const uint64_t generation = buffer.lending_.generation();
  pool_->Return(buffer.TakeBlock(), generation, reason);
}

EnqueueResult RingBuffer::EnqueueOwned(PooledBuffer message) {
  DRPC_ASSERT(message.has_value(), "EnqueueOwned of an empty buffer");
  DRPC_ASSERT(message.pool() == pool_.get(),
              "EnqueueOwned of a buffer from another pool than the ring's");
  if constexpr (kCheckedBuild) {
    pool_->CheckStillLent(message.block_, message.lending_.generation(), "EnqueueOwned");
  }
  BeginProducing(message, "enqueue owned");
  return Commit(std::move(message));
}

void RingBuffer::BeginProducing(PooledBuffer& buffer, const char* op) {
#if DRPC_CHECKED
  DRPC_ASSERT(!ledger_.producing,
              "two Enqueues at once on ring \"" + options_.name + "\": it has one producer");
  ledger_.producing = true;
  buffer.block_->Record(op, Place::kProducer, buffer.lending_.generation(), ledger_.id);
#else
  (void)buffer, (void)op;
#endif
}

EnqueueResult RingBuffer::Commit(PooledBuffer buffer) {
  const size_t n = buffer.block_->bytes.size();
  pool_->Remeter(buffer.block_);  // filling it may have grown it
  rt::Lock lock(mu_);
  if (options_.max_bytes == 0) {
    not_full_.wait(
        lock, [this, n] { return closed_ || HasRoomFor(n); },
        "ring Enqueue: slots full (or max_queued_bytes queued)");
  }
  if (closed_) {
    lock.unlock();
    return Refuse(std::move(buffer), EnqueueResult::kClosed);
  }
  if (options_.max_bytes != 0 && !AdmitUnderBudget(n)) {
    lock.unlock();
    return Refuse(std::move(buffer), EnqueueResult::kOverBudget);
  }
  if (count_ == slot_count_) Spill();
  const size_t slot = (tail_ + count_) % slot_count_;
  DRPC_ASSERT(SlotAt(slot) == nullptr, "the ring's next free slot is not empty");
  const uint64_t generation = buffer.lending_.generation();
  Block* block = buffer.TakeBlock();
  SlotAt(slot) = block;
  ++count_;
  bytes_ += n;
#if DRPC_CHECKED
  block->Record("queue", Place::kQueued, generation, ledger_.id, static_cast<uint32_t>(slot));
  ledger_.producing = false;
#else
  (void)generation;
#endif
  DRPC_ASSERT(count_ <= capacity_, "ring holds more messages than slots");
  DRPC_ASSERT(options_.max_bytes == 0 || count_ == 1 || bytes_ <= options_.max_bytes,
              "ring over its byte budget with more than one message");
  lock.unlock();
  not_empty_.notify_one();
  return EnqueueResult::kQueued;
}

EnqueueResult RingBuffer::Refuse(PooledBuffer buffer, EnqueueResult why) {
  if (why == EnqueueResult::kClosed && DRPC_PLANT(kRingEnqueueLeaksOnClose)) {
    ForgetRefused(buffer);
    return why;
  }
  const uint64_t generation = buffer.lending_.generation();
  pool_->Return(buffer.TakeBlock(), generation,
                why == EnqueueResult::kClosed ? "returned: ring closed" : "returned: over budget");
#if DRPC_CHECKED
  ledger_.producing = false;
#endif
  return why;
}

bool RingBuffer::HasRoomFor(size_t n) const {
  if (count_ == 0) return true;  // any one message, however large
  if (count_ == capacity_) return false;
  return options_.max_queued_bytes == 0 || bytes_ + n <= options_.max_queued_bytes;
}

bool RingBuffer::AdmitUnderBudget(size_t n) {
  // An empty ring admits any one message, however large.
  if (count_ > 0 && bytes_ + n > options_.max_bytes) return false;
  if (count_ == capacity_) return Grow();
  return true;
}

bool RingBuffer::Grow() {
  if (capacity_ >= options_.max_slots) return false;
  capacity_ = std::min(capacity_ * 2, options_.max_slots);
  return true;  // the slots follow in Spill, when the queue needs them
}

void RingBuffer::Spill() {
  DRPC_ASSERT(count_ == slot_count_ && count_ < capacity_,
              "Spill with a free slot, or none to add");
  std::vector<Block*> grown(capacity_, nullptr);
  for (size_t i = 0; i < count_; ++i) {
    Block* block = SlotAt((tail_ + i) % slot_count_);
    grown[i] = block;
#if DRPC_CHECKED
    block->Record("slots grew", Place::kQueued, block->generation, ledger_.id,
                  static_cast<uint32_t>(i));
#endif
  }
  // The inline slots it leaves are empty: none is outside the queue.
  inline_slots_.fill(nullptr);
  heap_slots_ = std::move(grown);
  slot_data_ = heap_slots_.data();
  slot_count_ = heap_slots_.size();
  slots_meter_.Set(heap_slots_.size() * sizeof(Block*));
  tail_ = 0;
}

// ---- consumer -----------------------------------------------------------

Result<Lease> RingBuffer::Dequeue() {
  CheckSingleConsumer();  // before the ring's lock: it takes the pool's
  rt::Lock lock(mu_);
  not_empty_.wait(
      lock, [this] { return closed_ || count_ > 0; }, "ring Dequeue: empty");
  if (count_ == 0) {
    DRPC_ASSERT(closed_ && !close_error_.ok(), "Dequeue woke with nothing queued and no error");
    return close_error_;
  }
  const size_t slot = tail_;
  Block* block = SlotAt(slot);
  DRPC_ASSERT(block != nullptr, "an empty slot inside the ring's queued window");
  if (!DRPC_PLANT(kRingDequeueSkipsAdvance)) {
    SlotAt(slot) = nullptr;
    tail_ = (tail_ + 1) % slot_count_;
    if (DRPC_PLANT(kRingDequeueAdvancesTwice)) tail_ = (tail_ + 1) % slot_count_;
  }
  --count_;
  DRPC_ASSERT(bytes_ >= block->bytes.size(), "ring byte count below a queued message's size");
  bytes_ -= block->bytes.size();
#if DRPC_CHECKED
  block->Record("dequeue", Place::kHeld, block->generation, ledger_.id);
  ledger_.last_held = block;
  ledger_.last_held_generation = block->generation;
#endif
  lock.unlock();
  not_full_.notify_one();
  return Lease(pool_, block);
}

void RingBuffer::CheckSingleConsumer() const {
#if DRPC_CHECKED
  // last_held is the consumer's own bookkeeping; the block itself may have
  // gone back to the pool and on to another ring, so ask the pool.
  const Block* held = ledger_.last_held;
  if (held == nullptr || !pool_->HeldBy(held, ledger_.last_held_generation, ledger_.id)) return;
  LedgerViolation("second Dequeue while the previous lease is alive", pool_->NameOf(*held),
                  held->record,
                  "ring \"" + options_.name +
                      "\" has one consumer holding one lease at a time: call Done first "
                      "(drpc-protocol.md §3.5.3)");
#endif
}

// ---- close and teardown -------------------------------------------------

void RingBuffer::Close(Status err) {
  DRPC_ASSERT(!err.ok(), "Close needs an error: Dequeue returns it after the queued messages");
  {
    rt::LockGuard lock(mu_);
    if (closed_) return;  // the first error wins
    closed_ = true;
    close_error_ = std::move(err);
    if (DRPC_PLANT(kRingCloseReleasesHeld) || DRPC_PLANT(kRingPreFix89d4b63)) TakeBackHeld();
    if (DRPC_PLANT(kRingLeakQueued)) ForgetQueued();
  }
  // Both sides: a blocked Dequeue returns the error (after the queue drains),
  // a blocked Enqueue gives its buffer back.
  not_empty_.notify_all();
  if (!DRPC_PLANT(kRingCloseWakesOnlyConsumer)) not_full_.notify_all();
}

void RingBuffer::ReturnQueued(const char* op) {
  // Bounded by the slot count: each pass empties one slot.
  for (size_t pass = 0; count_ > 0; ++pass) {
    DRPC_ASSERT(pass < slot_count_, "ring count exceeds its slots");
    Block* block = SlotAt(tail_);
    DRPC_ASSERT(block != nullptr, "an empty slot inside the ring's queued window");
    SlotAt(tail_) = nullptr;
    tail_ = (tail_ + 1) % slot_count_;
    --count_;
    bytes_ -= block->bytes.size();
    // Out of the slot first, so the ledger agrees with the ring at the
    // scheduling point inside Return.
    block->Record("taken out of the ring", Place::kOwned, block->generation);
    pool_->Return(block, block->generation, op);
  }
}

// ---- planted bugs (drpc/base/plant.h) -----------------------------------

// assembly.leak-on-cancel, assembly.leak-over-limit.
void RingBuffer::LeakAssembly(PooledBuffer buffer) {
  if (buffer.has_value()) (void)buffer.TakeBlock();
}

// ring.close-releases-held, ring.prefix-89d4b63: Close returns the buffer
// the consumer still reads.
void RingBuffer::TakeBackHeld() {
#if DRPC_CHECKED
  Block* held = ledger_.last_held;
  if (held == nullptr || !pool_->HeldBy(held, ledger_.last_held_generation, ledger_.id)) return;
  pool_->Return(held, ledger_.last_held_generation, "close (planted: takes the held buffer)");
#endif
}

// ring.leak-queued: Close drops the queued buffers without returning them.
void RingBuffer::ForgetQueued() {
  for (size_t i = 0; i < count_; ++i) SlotAt((tail_ + i) % slot_count_) = nullptr;
  count_ = 0;
  bytes_ = 0;
}

// ring.enqueue-leaks-on-close: a refused buffer is simply forgotten.
void RingBuffer::ForgetRefused(PooledBuffer& buffer) {
  (void)buffer.TakeBlock();
#if DRPC_CHECKED
  ledger_.producing = false;
#endif
}

// ---- observers ----------------------------------------------------------

size_t RingBuffer::size() const {
  rt::LockGuard lock(mu_);
  return count_;
}

size_t RingBuffer::queued_bytes() const {
  rt::LockGuard lock(mu_);
  return bytes_;
}

size_t RingBuffer::slots() const {
  rt::LockGuard lock(mu_);
  return capacity_;
}

bool RingBuffer::closed() const {
  rt::LockGuard lock(mu_);
  return closed_;
}

Status RingBuffer::close_error() const {
  rt::LockGuard lock(mu_);
  return close_error_;
}

// ---- the ledger's audit (checked builds) --------------------------------

void RingBuffer::AuditAgainst(const internal::RingTally& tally) const {
#if DRPC_CHECKED
  // Built only for a report: this runs at every scheduling point.
  auto where = [this] {
    return "ring " + std::to_string(ledger_.id) + " \"" + options_.name + "\" (tail " +
           std::to_string(tail_) + ", count " + std::to_string(count_) + ", " +
           std::to_string(slot_count_) + " of " + std::to_string(capacity_) + " slots)";
  };
  const size_t size = slot_count_;
  size_t bytes = 0;
  for (size_t i = 0; i < size; ++i) {
    const size_t slot = (tail_ + i) % size;
    const Block* block = slot_data_[slot];
    if (i < count_) {
      if (block == nullptr) {
        LedgerViolation("conservation: an empty slot inside the queued window",
                        where() + ": slot " + std::to_string(slot));
      }
      const LedgerRecord& record = block->record;
      if (record.place() != Place::kQueued || record.ring() != ledger_.id ||
          record.slot() != slot) {
        LedgerViolation("conservation: a ring slot holds a buffer the ledger places elsewhere",
                        pool_->NameOf(*block), record,
                        where() + ": slot " + std::to_string(slot) + " holds it");
      }
      bytes += block->bytes.size();
    } else if (block != nullptr) {
      LedgerViolation("conservation: a slot outside the queued window still holds a buffer",
                      pool_->NameOf(*block), block->record,
                      where() + ": slot " + std::to_string(slot) + " holds it");
    }
  }
  if (tally.queued != count_) {
    LedgerViolation("conservation: the ledger and the ring disagree on what is queued",
                    where() + " holds " + std::to_string(count_) + " buffers; the ledger has " +
                        std::to_string(tally.queued) + " queued in it");
  }
  if (bytes != bytes_) {
    LedgerViolation("conservation: the ring's byte count is wrong",
                    where() + " counts " + std::to_string(bytes_) + " bytes; its slots hold " +
                        std::to_string(bytes));
  }
  if (tally.producer > (ledger_.producing ? 1u : 0u)) {
    const Block& block = *tally.producer_block;
    LedgerViolation(ledger_.producing ? "two buffers with one producer"
                                      : "leak: a buffer stayed with the producer after Enqueue",
                    pool_->NameOf(block), block.record,
                    where() + ": " + std::to_string(tally.producer) +
                        " buffer(s) recorded with its producer, which is " +
                        (ledger_.producing ? "inside Enqueue" : "not inside Enqueue"));
  }
  if (tally.assembling > 1) {
    const Block& block = *tally.assembling_block;
    LedgerViolation("conservation: two buffers being assembled for one stream",
                    pool_->NameOf(block), block.record,
                    where() + ": " + std::to_string(tally.assembling) +
                        " buffers recorded as being assembled for it (a stream assembles one "
                        "packet at a time)");
  }
  if (tally.held > 1 || (tally.held == 1 && tally.held_block != ledger_.last_held)) {
    const Block& block = *tally.held_block;
    LedgerViolation("conservation: the consumer holds a buffer it did not dequeue last",
                    pool_->NameOf(block), block.record,
                    where() + ": " + std::to_string(tally.held) + " buffer(s) held");
  }
#else
  (void)tally;
#endif
}

}  // namespace drpc::stream
