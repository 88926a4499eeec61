// RingBuffer: a stream's receive queue (drpc-protocol.md §3.3-§3.6). One
// producer (the connection's reader task) and one consumer (the stream's
// receive call); buffers come from the connection's BufferPool.
//
//   producer:  ring.Enqueue(packet_bytes)      // copies into a pooled buffer
//   consumer:  Result<Lease> m = ring.Dequeue(); ... m->view() ... m->Done();
//   terminate: ring.Close(err)
//
// Ownership of a buffer moves pool -> producer -> slot -> consumer's lease ->
// pool (the table in §3.3). The rules this class keeps:
//   * Enqueue copies outside the ring's lock, then blocks while every slot is
//     full. If the ring is (or gets) closed first, the buffer goes back to
//     the pool and Enqueue says kClosed: nothing queued, leaked or blocked.
//   * Dequeue blocks until a message or Close, and frees the slot at once:
//     the Lease owns the buffer. After Close it still drains the queued
//     messages in order; then it returns the first Close's error forever.
//   * One lease at a time: a second Dequeue while the last lease is alive
//     breaks the single-consumer contract (checked builds report it).
//   * Close(err) is idempotent (first error wins), wakes every waiter, never
//     blocks and never touches a held buffer; queued buffers stay queued
//     (drain after close). Destroying the ring returns them to the pool.
//   * Every change that can unblock the other side notifies it: the
//     producer waits on not_full_, the consumer on not_empty_ (§3.5.7).
//
// Byte budget (options.max_bytes > 0): the non-blocking variant B of §3.4.
// An empty ring admits any one message; otherwise a message is admitted
// while queued bytes + its size <= max_bytes, and Enqueue never blocks: it
// returns kOverBudget (and the buffer goes back to the pool) so the caller
// can fail that stream. Slots double when full, up to max_slots.
// Why B and not the blocking variant A: the producer is the connection's one
// reader task, so blocking it on one stream's budget stalls every stream on
// the connection (head-of-line blocking, §4.10). A sender that respects flow
// control never exceeds window + max message size, so under B only a
// non-conforming sender is refused, and only its stream fails.
// Without a budget the ring blocks on its slots as in the seed era.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/lease.h"
#include "drpc/stream/ring_policy.h"

namespace drpc::stream {

struct RingOptions {
  size_t capacity = 256;               // slots; Enqueue blocks while all are full (no budget)
  size_t max_bytes = 0;                // byte budget; 0 = none (see the header comment)
  size_t max_slots = size_t{1} << 16;  // under a budget slots double up to this
  std::string name = "ring";           // for reports
};

enum class EnqueueResult : uint8_t {
  kQueued,      // in a slot; the consumer will see it
  kClosed,      // the ring was closed: nothing queued, the buffer went back
  kOverBudget,  // byte budget exceeded (or max_slots reached): nothing queued
};
std::string_view EnqueueResultName(EnqueueResult result);

namespace detail {
// What a checked ring remembers for the ledger; nothing when unchecked.
template <bool kChecked, class Block>
struct RingChecks {
  void set_id(uint32_t) {}
  uint32_t id() const { return 0; }
};
template <class Block>
struct RingChecks<true, Block> {
  void set_id(uint32_t v) { ring_id = v; }
  uint32_t id() const { return ring_id; }
  uint32_t ring_id = 0;
  bool producing = false;      // inside Enqueue (the producer may hold a buffer)
  Block* last_held = nullptr;  // the block of the last Dequeue
  uint64_t last_held_generation = 0;
};
}  // namespace detail

template <class Policy>
class BasicRingBuffer {
 public:
  static constexpr bool kChecked = Policy::kChecked;
  using Pool = BasicBufferPool<kChecked>;
  using PooledBuffer = BasicPooledBuffer<kChecked>;
  using Lease = BasicLease<Policy>;

  BasicRingBuffer(std::shared_ptr<Pool> pool, RingOptions options = {});
  // Returns every queued buffer to the pool. No call may be running.
  ~BasicRingBuffer();
  BasicRingBuffer(const BasicRingBuffer&) = delete;
  BasicRingBuffer& operator=(const BasicRingBuffer&) = delete;

  // Producer. Copies `message` into a pooled buffer (outside the lock) and
  // queues it.
  [[nodiscard]] EnqueueResult Enqueue(Bytes message);
  // Producer. Queues a buffer someone already filled (the assembler writing
  // straight into pooled buffers, §7 idea 1). It must come from this ring's
  // pool; it goes back to the pool if not queued.
  [[nodiscard]] EnqueueResult EnqueueOwned(PooledBuffer message);

  // Consumer. The next message, or once closed and drained, the close error.
  [[nodiscard]] Result<Lease> Dequeue();

  // Any task. `err` must not be ok; it is what Dequeue returns after the
  // queued messages. Only the first Close counts.
  void Close(Status err);

  // Observers (they take the lock).
  size_t size() const;          // queued messages
  size_t queued_bytes() const;  // their bytes
  size_t slots() const;         // current slot count (grows only under a budget)
  bool closed() const;
  // The error Dequeue returns once drained: the first Close's (ok while open).
  Status close_error() const;

  // Checked builds: the ring's number in ledger reports (0 unchecked).
  uint32_t ledger_id() const { return checks_.id(); }
  const std::shared_ptr<Pool>& pool() const { return pool_; }
  const RingOptions& options() const { return options_; }

 private:
  using Block = detail::Block<kChecked>;

  void BeginProducing(PooledBuffer& buffer, const char* op);
  EnqueueResult Commit(PooledBuffer buffer);
  EnqueueResult Refuse(PooledBuffer buffer, EnqueueResult why);
  bool AdmitUnderBudget(size_t n);  // mu_ held
  bool Grow();                      // mu_ held
  void ReturnQueued(const char* op);
  void CheckSingleConsumer() const;  // without mu_ (it takes the pool's lock)
  void AuditAgainst(const detail::RingTally& tally) const;
  static void AuditThunk(const void* self, const detail::RingTally& tally);
  void TakeBackHeld();  // planted bugs only; mu_ held

  const std::shared_ptr<Pool> pool_;
  const RingOptions options_;
  mutable rt::Mutex mu_;
  rt::CondVar not_empty_;      // the consumer waits here for a message or Close
  rt::CondVar not_full_;       // the producer waits here for a slot or Close
  std::vector<Block*> slots_;  // guarded by mu_; queued = count_ slots from tail_
  size_t tail_ = 0;            // guarded by mu_
  size_t count_ = 0;           // guarded by mu_
  size_t bytes_ = 0;           // guarded by mu_
  bool closed_ = false;        // guarded by mu_
  Status close_error_;         // guarded by mu_; set once
  [[no_unique_address]] detail::RingChecks<kChecked, Block> checks_;
};

using RingPolicyDefault = RingPolicy<kCheckedBuild>;
using RingBuffer = BasicRingBuffer<RingPolicyDefault>;
using Lease = BasicLease<RingPolicyDefault>;

extern template class BasicRingBuffer<RingPolicy<true>>;
extern template class BasicRingBuffer<RingPolicy<false>>;

}  // namespace drpc::stream
