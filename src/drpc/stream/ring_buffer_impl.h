// The definitions of BasicRingBuffer. ring_buffer.cc instantiates the
// production policies; tests include this file to instantiate planted-bug
// policies (ring_policy.h). Not for other users.
#pragma once

#include <algorithm>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/stream/ledger.h"
#include "drpc/stream/ring_buffer.h"

namespace drpc::stream {

template <class Policy>
BasicRingBuffer<Policy>::BasicRingBuffer(std::shared_ptr<Pool> pool, RingOptions options)
    : pool_(std::move(pool)),
      options_(std::move(options)),
      mu_("ring"),
      not_empty_("ring not_empty"),
      not_full_("ring not_full"),
      slots_(options_.capacity, nullptr) {
  DRPC_ASSERT(pool_ != nullptr, "a ring needs its connection's pool");
  DRPC_ASSERT(options_.capacity > 0, "a ring needs at least one slot");
  DRPC_ASSERT(options_.max_bytes == 0 || options_.max_slots >= options_.capacity,
              "max_slots below the initial capacity");
  if constexpr (kChecked) checks_.set_id(pool_->RegisterRing(this, &AuditThunk));
}

template <class Policy>
BasicRingBuffer<Policy>::~BasicRingBuffer() {
  if constexpr (kChecked) {
    DRPC_ASSERT(!checks_.producing,
                "ring \"" + options_.name + "\" destroyed while its producer is inside Enqueue");
  }
  if constexpr (Policy::kBug != RingBug::kLeakQueued) {
    ReturnQueued("returned: ring destroyed");
  }
  if constexpr (kChecked) pool_->UnregisterRing(checks_.id());
}

// ---- producer -----------------------------------------------------------

template <class Policy>
EnqueueResult BasicRingBuffer<Policy>::Enqueue(Bytes message) {
  PooledBuffer buffer = pool_->Get();
  BeginProducing(buffer, "enqueue");
  // The copy happens outside the ring's lock (§3.3): the consumer can
  // dequeue meanwhile.
  buffer.block_->bytes.Append(message);
  return Commit(std::move(buffer));
}

template <class Policy>
EnqueueResult BasicRingBuffer<Policy>::EnqueueOwned(PooledBuffer message) {
  DRPC_ASSERT(message.has_value(), "EnqueueOwned of an empty buffer");
  DRPC_ASSERT(message.pool() == pool_.get(),
              "EnqueueOwned of a buffer from another pool than the ring's");
  if constexpr (kChecked) {
    pool_->CheckStillLent(message.block_, message.generation_.value, "EnqueueOwned");
  }
  BeginProducing(message, "enqueue owned");
  return Commit(std::move(message));
}

template <class Policy>
void BasicRingBuffer<Policy>::BeginProducing(PooledBuffer& buffer, const char* op) {
  if constexpr (kChecked) {
    DRPC_ASSERT(!checks_.producing,
                "two Enqueues at once on ring \"" + options_.name + "\": it has one producer");
    checks_.producing = true;
    buffer.block_->track.record.Move(op, Place::kProducer, buffer.generation_.value, checks_.id());
  }
}

template <class Policy>
EnqueueResult BasicRingBuffer<Policy>::Commit(PooledBuffer buffer) {
  const size_t n = buffer.block_->bytes.size();
  rt::Lock lock(mu_);
  if (options_.max_bytes == 0) {
    not_full_.wait(
        lock, [this] { return closed_ || count_ < slots_.size(); }, "ring Enqueue: slots full");
  }
  if (closed_) {
    lock.unlock();
    return Refuse(std::move(buffer), EnqueueResult::kClosed);
  }
  if (options_.max_bytes != 0 && !AdmitUnderBudget(n)) {
    lock.unlock();
    return Refuse(std::move(buffer), EnqueueResult::kOverBudget);
  }
  const size_t slot = (tail_ + count_) % slots_.size();
  DRPC_ASSERT(slots_[slot] == nullptr, "the ring's next free slot is not empty");
  const uint64_t generation = buffer.generation_.value;
  Block* block = buffer.TakeBlock();
  slots_[slot] = block;
  ++count_;
  bytes_ += n;
  if constexpr (kChecked) {
    block->track.record.Move("queue", Place::kQueued, generation, checks_.id(),
                             static_cast<uint32_t>(slot));
    checks_.producing = false;
  }
  DRPC_ASSERT(count_ <= slots_.size(), "ring holds more messages than slots");
  DRPC_ASSERT(options_.max_bytes == 0 || count_ == 1 || bytes_ <= options_.max_bytes,
              "ring over its byte budget with more than one message");
  lock.unlock();
  not_empty_.notify_one();
  return EnqueueResult::kQueued;
}

template <class Policy>
EnqueueResult BasicRingBuffer<Policy>::Refuse(PooledBuffer buffer, EnqueueResult why) {
  if constexpr (Policy::kBug == RingBug::kEnqueueLeaksOnClose) {
    if (why == EnqueueResult::kClosed) {
      (void)buffer.TakeBlock();  // planted: the buffer is simply forgotten
      checks_.producing = false;
      return why;
    }
  }
  const uint64_t generation = buffer.generation_.value;
  pool_->Return(buffer.TakeBlock(), generation,
                why == EnqueueResult::kClosed ? "returned: ring closed" : "returned: over budget");
  if constexpr (kChecked) checks_.producing = false;
  return why;
}

template <class Policy>
bool BasicRingBuffer<Policy>::AdmitUnderBudget(size_t n) {
  // An empty ring admits any one message, however large (§3.4).
  if (count_ > 0 && bytes_ + n > options_.max_bytes) return false;
  if (count_ == slots_.size()) return Grow();
  return true;
}

template <class Policy>
bool BasicRingBuffer<Policy>::Grow() {
  const size_t old_size = slots_.size();
  if (old_size >= options_.max_slots) return false;
  std::vector<Block*> grown(std::min(old_size * 2, options_.max_slots), nullptr);
  for (size_t i = 0; i < count_; ++i) {
    Block* block = slots_[(tail_ + i) % old_size];
    grown[i] = block;
    if constexpr (kChecked) {
      block->track.record.Move("slots grew", Place::kQueued, block->track.generation, checks_.id(),
                               static_cast<uint32_t>(i));
    }
  }
  slots_ = std::move(grown);
  tail_ = 0;
  return true;
}

// ---- consumer -----------------------------------------------------------

template <class Policy>
Result<typename BasicRingBuffer<Policy>::Lease> BasicRingBuffer<Policy>::Dequeue() {
  CheckSingleConsumer();  // before the ring's lock: it takes the pool's
  rt::Lock lock(mu_);
  not_empty_.wait(
      lock, [this] { return closed_ || count_ > 0; }, "ring Dequeue: empty");
  if (count_ == 0) {
    DRPC_ASSERT(closed_ && !close_error_.ok(), "Dequeue woke with nothing queued and no error");
    return close_error_;
  }
  const size_t slot = tail_;
  Block* block = slots_[slot];
  DRPC_ASSERT(block != nullptr, "an empty slot inside the ring's queued window");
  if constexpr (Policy::kBug != RingBug::kDequeueSkipsAdvance) {  // planted when it is
    slots_[slot] = nullptr;
    tail_ = (tail_ + 1) % slots_.size();
    if constexpr (Policy::kBug == RingBug::kDequeueAdvancesTwice) {
      tail_ = (tail_ + 1) % slots_.size();  // planted
    }
  }
  --count_;
  DRPC_ASSERT(bytes_ >= block->bytes.size(), "ring byte count below a queued message's size");
  bytes_ -= block->bytes.size();
  if constexpr (kChecked) {
    block->track.record.Move("dequeue", Place::kHeld, block->track.generation, checks_.id());
    checks_.last_held = block;
    checks_.last_held_generation = block->track.generation;
  }
  lock.unlock();
  not_full_.notify_one();
  return Lease(pool_, block);
}

template <class Policy>
void BasicRingBuffer<Policy>::CheckSingleConsumer() const {
  if constexpr (kChecked) {
    // last_held is the consumer's own bookkeeping; the block itself may have
    // gone back to the pool and on to another ring, so ask the pool.
    const Block* held = checks_.last_held;
    if (held == nullptr || !pool_->HeldBy(held, checks_.last_held_generation, checks_.id())) {
      return;
    }
    LedgerViolation("second Dequeue while the previous lease is alive", pool_->NameOf(*held),
                    held->track.record,
                    "ring \"" + options_.name +
                        "\" has one consumer holding one lease at a time: call Done first "
                        "(drpc-protocol.md §3.5.3)");
  }
}

// ---- close and teardown -------------------------------------------------

template <class Policy>
void BasicRingBuffer<Policy>::Close(Status err) {
  DRPC_ASSERT(!err.ok(), "Close needs an error: Dequeue returns it after the queued messages");
  {
    rt::LockGuard lock(mu_);
    if (closed_) return;  // the first error wins
    closed_ = true;
    close_error_ = std::move(err);
    if constexpr (Policy::kBug == RingBug::kCloseReleasesHeld ||
                  Policy::kBug == RingBug::kPreFix89d4b63) {
      TakeBackHeld();  // planted
    }
    if constexpr (Policy::kBug == RingBug::kLeakQueued) {
      for (size_t i = 0; i < count_; ++i) slots_[(tail_ + i) % slots_.size()] = nullptr;  // planted
      count_ = 0;
      bytes_ = 0;
    }
  }
  // Both sides: a blocked Dequeue returns the error (after the queue drains),
  // a blocked Enqueue gives its buffer back (§3.5.7).
  not_empty_.notify_all();
  if constexpr (Policy::kBug != RingBug::kCloseWakesOnlyConsumer) {  // planted when it is
    not_full_.notify_all();
  }
}

template <class Policy>
void BasicRingBuffer<Policy>::TakeBackHeld() {
  if constexpr (kChecked) {
    Block* held = checks_.last_held;
    if (held == nullptr || !pool_->HeldBy(held, checks_.last_held_generation, checks_.id())) {
      return;
    }
    pool_->Return(held, checks_.last_held_generation, "close (planted: takes the held buffer)");
  }
}

template <class Policy>
void BasicRingBuffer<Policy>::ReturnQueued(const char* op) {
  // Bounded by the slot count: each pass empties one slot.
  for (size_t pass = 0; count_ > 0; ++pass) {
    DRPC_ASSERT(pass < slots_.size(), "ring count exceeds its slots");
    Block* block = slots_[tail_];
    DRPC_ASSERT(block != nullptr, "an empty slot inside the ring's queued window");
    slots_[tail_] = nullptr;
    tail_ = (tail_ + 1) % slots_.size();
    --count_;
    bytes_ -= block->bytes.size();
    if constexpr (kChecked) {
      // Out of the slot first, so the ledger agrees with the ring at the
      // scheduling point inside Return.
      block->track.record.Move("taken out of the ring", Place::kOwned, block->track.generation);
    }
    pool_->Return(block, detail::GenerationOf(*block), op);
  }
}

// ---- observers ----------------------------------------------------------

template <class Policy>
size_t BasicRingBuffer<Policy>::size() const {
  rt::LockGuard lock(mu_);
  return count_;
}

template <class Policy>
size_t BasicRingBuffer<Policy>::queued_bytes() const {
  rt::LockGuard lock(mu_);
  return bytes_;
}

template <class Policy>
size_t BasicRingBuffer<Policy>::slots() const {
  rt::LockGuard lock(mu_);
  return slots_.size();
}

template <class Policy>
bool BasicRingBuffer<Policy>::closed() const {
  rt::LockGuard lock(mu_);
  return closed_;
}

template <class Policy>
Status BasicRingBuffer<Policy>::close_error() const {
  rt::LockGuard lock(mu_);
  return close_error_;
}

// ---- the ledger's audit (checked builds) --------------------------------

template <class Policy>
void BasicRingBuffer<Policy>::AuditThunk(const void* self, const detail::RingTally& tally) {
  static_cast<const BasicRingBuffer*>(self)->AuditAgainst(tally);
}

template <class Policy>
void BasicRingBuffer<Policy>::AuditAgainst(const detail::RingTally& tally) const {
  if constexpr (kChecked) {
    // Built only for a report: this runs at every scheduling point.
    auto where = [this] {
      return "ring " + std::to_string(checks_.id()) + " \"" + options_.name + "\" (tail " +
             std::to_string(tail_) + ", count " + std::to_string(count_) + ", " +
             std::to_string(slots_.size()) + " slots)";
    };
    const size_t size = slots_.size();
    size_t bytes = 0;
    for (size_t i = 0; i < size; ++i) {
      const size_t slot = (tail_ + i) % size;
      const Block* block = slots_[slot];
      if (i < count_) {
        if (block == nullptr) {
          LedgerViolation("conservation: an empty slot inside the queued window",
                          where() + ": slot " + std::to_string(slot));
        }
        const LedgerRecord& record = block->track.record;
        if (record.place() != Place::kQueued || record.ring() != checks_.id() ||
            record.slot() != slot) {
          LedgerViolation("conservation: a ring slot holds a buffer the ledger places elsewhere",
                          pool_->NameOf(*block), record,
                          where() + ": slot " + std::to_string(slot) + " holds it");
        }
        bytes += block->bytes.size();
      } else if (block != nullptr) {
        LedgerViolation("conservation: a slot outside the queued window still holds a buffer",
                        pool_->NameOf(*block), block->track.record,
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
    if (tally.producer > (checks_.producing ? 1u : 0u)) {
      const Block& block = *static_cast<const Block*>(tally.producer_block);
      LedgerViolation(checks_.producing ? "two buffers with one producer"
                                        : "leak: a buffer stayed with the producer after Enqueue",
                      pool_->NameOf(block), block.track.record,
                      where() + ": " + std::to_string(tally.producer) +
                          " buffer(s) recorded with its producer, which is " +
                          (checks_.producing ? "inside Enqueue" : "not inside Enqueue"));
    }
    if (tally.held > 1 || (tally.held == 1 && tally.held_block != checks_.last_held)) {
      const Block& block = *static_cast<const Block*>(tally.held_block);
      LedgerViolation("conservation: the consumer holds a buffer it did not dequeue last",
                      pool_->NameOf(block), block.track.record,
                      where() + ": " + std::to_string(tally.held) + " buffer(s) held");
    }
  }
}

}  // namespace drpc::stream
