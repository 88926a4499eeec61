// RingBuffer: a stream's receive queue. One producer (the connection's
// reader task) and one consumer (the stream's receive call); buffers come
// from the connection's BufferPool.
//
//   producer:  ring.Enqueue(packet_bytes)      // copies into a pooled buffer
//   consumer:  Result<Lease> m = ring.Dequeue(); ... m->view() ... m->Done();
//   terminate: ring.Close(err)                 // queued messages still drain
//
// Without a byte budget Enqueue blocks while every slot is full; with one
// (options.max_bytes > 0) it never blocks and refuses what does not fit.
// The ownership rules, the budget and why: docs/stream.md, "Buffer pool,
// ring, lease and ledger".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/base/resource_meter.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/internal/pool_block.h"
#include "drpc/stream/lease.h"

namespace drpc::stream {

struct RingOptions {
  size_t capacity = 256;  // slots; Enqueue blocks while all are full (no budget)
  // Without a byte budget: Enqueue blocks while a message would take the
  // queued bytes past this (an empty ring takes any one message), so a
  // stream's queue is bounded in bytes as well as in slots. 0: slots only.
  size_t max_queued_bytes = size_t{4} << 20;
  size_t max_bytes = 0;                // byte budget (refuses, never blocks); 0 = none
  size_t max_slots = size_t{1} << 16;  // under a budget slots double up to this
  std::string name = "ring";           // for reports
};

enum class EnqueueResult : uint8_t {
  kQueued,      // in a slot; the consumer will see it
  kClosed,      // the ring was closed: nothing queued, the buffer went back
  kOverBudget,  // byte budget exceeded (or max_slots reached): nothing queued
  // The connection's memory budget has no room for the message
  // (BufferPool::TryGet): nothing queued.
  kOverConnectionBudget,
};

class RingBuffer {
 public:
  RingBuffer(std::shared_ptr<BufferPool> pool, RingOptions options = {});
  // Returns every queued buffer to the pool. No call may be running.
  ~RingBuffer();
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;

  // Producer. Copies `message` into a pooled buffer (outside the lock) and
  // queues it; kOverConnectionBudget if the connection's budget has no room
  // for the buffer.
  [[nodiscard]] EnqueueResult Enqueue(Bytes message);
  // Producer. Queues a buffer someone already filled. It must come from this
  // ring's pool; it goes back to the pool if not queued.
  [[nodiscard]] EnqueueResult EnqueueOwned(PooledBuffer message);

  // The producer's task, for the packet its stream is assembling (the
  // frames' payloads are read into the buffer in place, so a message's
  // bytes are copied once; docs/stream.md). A buffer with room for `size`
  // bytes, in the assembling state of the ledger; empty if the connection's
  // budget has no room for it.
  // `more_frames`: the packet does not end with this frame, so its size is
  // not known: the pool's largest kept buffer (BufferPool::TryGetLargest).
  [[nodiscard]] PooledBuffer TryStartAssembly(size_t size, bool more_frames);
  // Room for `size` bytes in all in an assembly buffer, growing it at least
  // twofold (capped at `max_size`) under the connection's budget; false if
  // the budget has no room. A move of the bytes already in it is counted as
  // a receive copy.
  [[nodiscard]] bool TryGrowAssembly(PooledBuffer& buffer, size_t size, size_t max_size);
  // The assembly buffer goes back to the pool; `reason` (a string literal
  // starting with "abandoned" or "handled") is what the ledger records.
  void EndAssembly(PooledBuffer buffer, const char* reason);
  // Planted bugs only (the assembly.* sites): the buffer is let go without
  // going back to the pool, a leak the ledger must report.
  void LeakAssembly(PooledBuffer buffer);

  // Consumer. The next message, or once closed and drained, the close error.
  // One lease at a time: call Done before the next Dequeue.
  [[nodiscard]] Result<Lease> Dequeue();

  // Any task. `err` must not be ok; it is what Dequeue returns after the
  // queued messages. Only the first Close counts. Never blocks.
  void Close(Status err);

  // Observers (they take the lock).
  size_t size() const;          // queued messages
  size_t queued_bytes() const;  // their bytes
  size_t slots() const;         // current slot count (grows only under a budget)
  bool closed() const;
  // The error Dequeue returns once drained: the first Close's (ok while open).
  Status close_error() const;

  const std::shared_ptr<BufferPool>& pool() const { return pool_; }
  const RingOptions& options() const { return options_; }

 private:
  friend class BufferPool;  // AuditAgainst
  using Block = internal::Block;

  // Checked builds: what the ledger needs to know of this ring.
  struct LedgerState {
    uint32_t id = 0;             // the ring's number in ledger reports
    bool producing = false;      // inside Enqueue (the producer may hold a buffer)
    Block* last_held = nullptr;  // the block of the last Dequeue
    uint64_t last_held_generation = 0;
  };

  uint32_t ledger_id() const {
#if DRPC_CHECKED
    return ledger_.id;
#else
    return 0;
#endif
  }
  void BeginProducing(PooledBuffer& buffer, const char* op);
  EnqueueResult Commit(PooledBuffer buffer);
  EnqueueResult Refuse(PooledBuffer buffer, EnqueueResult why);
  bool AdmitUnderBudget(size_t n);  // mu_ held
  bool HasRoomFor(size_t n) const;  // mu_ held; no byte budget
  bool Grow();                      // mu_ held: capacity_ doubles
  // mu_ held, every slot in use (count_ == slot_count_ < capacity_): the
  // queue moves to a heap array of all capacity_ slots.
  void Spill();
  Block*& SlotAt(size_t slot) { return slot_data_[slot]; }  // mu_ held
  void ReturnQueued(const char* op);
  void CheckSingleConsumer() const;  // without mu_ (it takes the pool's lock)
  // Checked builds: the ring's slots against the ledger's tally of it.
  void AuditAgainst(const internal::RingTally& tally) const;
  // Planted bugs only (mu_ held).
  void TakeBackHeld();
  void ForgetQueued();
  void ForgetRefused(PooledBuffer& buffer);

  const std::shared_ptr<BufferPool> pool_;
  const RingOptions options_;
  mutable rt::Mutex mu_;
  rt::CondVar not_empty_;  // the consumer waits here for a message or Close
  rt::CondVar not_full_;   // the producer waits here for a slot or Close
  // The slots, guarded by mu_; queued = count_ slots from tail_, modulo
  // slot_count_. The first kInlineSlots are in the ring itself, so a stream
  // that never has more messages queued at once (a unary call has one)
  // allocates no slot array; the first time it needs more, the queue moves
  // to a heap array of all capacity_ slots (Spill), counted as ring-slots.
  static constexpr size_t kInlineSlots = 4;
  std::array<Block*, kInlineSlots> inline_slots_{};
  std::vector<Block*> heap_slots_;
  Block** slot_data_ = inline_slots_.data();  // inline_slots_ or heap_slots_
  size_t slot_count_ = 0;                     // slots in slot_data_
  size_t capacity_ = 0;                       // guarded by mu_: slots a queue may use
  MeteredBytes slots_meter_;                  // guarded by mu_: heap_slots_' bytes in the meter
  size_t tail_ = 0;                           // guarded by mu_
  size_t count_ = 0;                          // guarded by mu_
  size_t bytes_ = 0;                          // guarded by mu_
  bool closed_ = false;                       // guarded by mu_
  Status close_error_;                        // guarded by mu_; set once
  [[no_unique_address]] std::conditional_t<kCheckedBuild, LedgerState, internal::Nothing> ledger_;
};

}  // namespace drpc::stream
