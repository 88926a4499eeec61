// Property 1: the ring and its pool against a plain queue model, one
// command at a time (rc::state). Commands: Enqueue or EnqueueOwned (0 B to
// 256 KiB), Dequeue, Done (explicit or through the lease's destructor), Close
// (with one of a few errors). Capacities 1..8 and 256, with or without a byte budget (variant
// B, including slot growth up to max_slots). Sequential, so nothing blocks:
// Enqueue runs only when the ring has room (or is closed, or has a budget),
// Dequeue only when a message is queued or the ring is closed.
//
// After every command: the ring's answers match the model, the pool lends
// exactly queued + held buffers, and the ledger's conservation check passes.
// At the end: the ring is destroyed, the lease finished, and every buffer is
// back (CheckAllReturned).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "drpc/stream/ring_buffer.h"
#include "sim/scenarios/ring/message_pattern.h"

namespace drpc::stream {
namespace {

using sim::ring::CheckPattern;
using sim::ring::PatternMessage;

struct Message {
  uint32_t index = 0;
  size_t size = 0;
};

struct Model {
  size_t capacity = 0;
  size_t max_bytes = 0;  // 0 = no budget
  size_t max_slots = 0;
  size_t slots = 0;
  std::deque<Message> queue;
  size_t queued_bytes = 0;
  std::optional<Message> held;
  std::optional<Status> close_error;
  uint32_t next_index = 0;

  bool budget() const { return max_bytes != 0; }
};

struct Sut {
  std::shared_ptr<BufferPool> pool;
  std::unique_ptr<RingBuffer> ring;
  Lease lease;
};

void CheckInvariants(const Model& m, const Sut& s) {
  RC_ASSERT(s.pool->stats().lent == m.queue.size() + (m.held ? 1u : 0u));
  RC_ASSERT(s.ring->size() == m.queue.size());
  RC_ASSERT(s.ring->queued_bytes() == m.queued_bytes);
  RC_ASSERT(s.ring->slots() == m.slots);
  s.pool->CheckConservation();
}

rc::Gen<size_t> GenMessageSize() {
  return rc::gen::weightedOneOf<size_t>({
      {6, rc::gen::inRange<size_t>(0, 65)},
      {3, rc::gen::inRange<size_t>(0, 8 * 1024 + 1)},
      {1, rc::gen::inRange<size_t>(0, 256 * 1024 + 1)},
  });
}

Status ErrorNumber(int n) {
  switch (n) {
    case 0:
      return EofError();
    case 1:
      return CanceledError();
    case 2:
      return RemoteError("remote failure", 42);
    default:
      return ClosedError("connection reset");
  }
}

using Command = rc::state::Command<Model, Sut>;

struct Enqueue : Command {
  size_t size = *GenMessageSize();
  // EnqueueOwned: the message is written into a buffer from pool.Get() by
  // the caller (the assembler's way) instead of copied in by Enqueue.
  bool owned = *rc::gen::weightedOneOf<bool>({{3, rc::gen::just(false)}, {1, rc::gen::just(true)}});

  void checkPreconditions(const Model& m) const override {
    // Sequential: never call a blocking Enqueue.
    RC_PRE(m.close_error.has_value() || m.budget() || m.queue.size() < m.capacity);
  }
  EnqueueResult Expected(const Model& m, size_t* slots_after) const {
    *slots_after = m.slots;
    if (m.close_error) return EnqueueResult::kClosed;
    if (!m.budget()) return EnqueueResult::kQueued;
    if (!m.queue.empty() && m.queued_bytes + size > m.max_bytes) return EnqueueResult::kOverBudget;
    if (m.queue.size() == m.slots) {
      if (m.slots >= m.max_slots) return EnqueueResult::kOverBudget;
      *slots_after = std::min(m.slots * 2, m.max_slots);
    }
    return EnqueueResult::kQueued;
  }
  void apply(Model& m) const override {
    size_t slots_after = 0;
    if (Expected(m, &slots_after) == EnqueueResult::kQueued) {
      m.queue.push_back(Message{m.next_index, size});
      m.queued_bytes += size;
    }
    m.slots = slots_after;
    ++m.next_index;
  }
  void run(const Model& m, Sut& s) const override {
    size_t slots_after = 0;
    const EnqueueResult expected = Expected(m, &slots_after);
    const std::vector<uint8_t> message = PatternMessage(m.next_index, size);
    EnqueueResult got;
    if (owned) {
      PooledBuffer buffer = s.pool->Get();
      buffer.bytes().Append(Bytes(message));
      got = s.ring->EnqueueOwned(std::move(buffer));
    } else {
      got = s.ring->Enqueue(Bytes(message));
    }
    RC_ASSERT(got == expected);
    Model after = m;
    apply(after);
    CheckInvariants(after, s);
  }
  void show(std::ostream& os) const override {
    os << (owned ? "EnqueueOwned(" : "Enqueue(") << size << " B)";
  }
};

struct Dequeue : Command {
  void checkPreconditions(const Model& m) const override {
    RC_PRE(!m.held.has_value());
    RC_PRE(!m.queue.empty() || m.close_error.has_value());
  }
  void apply(Model& m) const override {
    if (m.queue.empty()) return;  // closed and drained: the error, nothing held
    m.held = m.queue.front();
    m.queued_bytes -= m.queue.front().size;
    m.queue.pop_front();
  }
  void run(const Model& m, Sut& s) const override {
    Result<Lease> got = s.ring->Dequeue();
    if (m.queue.empty()) {
      RC_ASSERT(!got.ok());
      RC_ASSERT(got.status() == *m.close_error);  // the first Close's error, forever
    } else {
      RC_ASSERT(got.ok());
      const Message& want = m.queue.front();
      const std::string problem = CheckPattern(got->view(), want.index, want.size);
      RC_ASSERT(problem == "");
      s.lease = std::move(got.value());
    }
    Model after = m;
    apply(after);
    CheckInvariants(after, s);
  }
  void show(std::ostream& os) const override { os << "Dequeue"; }
};

struct Done : Command {
  bool by_destructor = *rc::gen::arbitrary<bool>();

  void checkPreconditions(const Model& m) const override { RC_PRE(m.held.has_value()); }
  void apply(Model& m) const override { m.held.reset(); }
  void run(const Model& m, Sut& s) const override {
    // The held bytes are intact right up to Done, whatever happened since.
    RC_ASSERT(CheckPattern(s.lease.view(), m.held->index, m.held->size) == "");
    if (by_destructor) {
      s.lease = Lease();
    } else {
      s.lease.Done();
    }
    RC_ASSERT(!s.lease.has_value());
    Model after = m;
    apply(after);
    CheckInvariants(after, s);
  }
  void show(std::ostream& os) const override {
    os << (by_destructor ? "Done(by destructor)" : "Done");
  }
};

struct Close : Command {
  int error = *rc::gen::inRange(0, 4);

  void apply(Model& m) const override {
    if (!m.close_error) m.close_error = ErrorNumber(error);
  }
  void run(const Model& m, Sut& s) const override {
    s.ring->Close(ErrorNumber(error));
    RC_ASSERT(s.ring->closed());
    Model after = m;
    apply(after);
    CheckInvariants(after, s);
  }
  void show(std::ostream& os) const override { os << "Close(" << ErrorNumber(error) << ")"; }
};

RC_GTEST_PROP(RingModelProps, MatchesAQueueModel, ()) {
  Model model;
  model.capacity = *rc::gen::weightedOneOf<size_t>({
      {4, rc::gen::inRange<size_t>(1, 9)},
      {1, rc::gen::just<size_t>(256)},
  });
  const bool budget =
      *rc::gen::weightedOneOf<bool>({{2, rc::gen::just(false)}, {1, rc::gen::just(true)}});
  if (budget) {
    model.max_bytes = *rc::gen::weightedOneOf<size_t>({
        {3, rc::gen::inRange<size_t>(1, 200)},
        {1, rc::gen::inRange<size_t>(1, 512 * 1024)},
    });
    model.max_slots = model.capacity * *rc::gen::element<size_t>(1, 2, 4);
  }
  model.slots = model.capacity;
  RC_CLASSIFY(budget, "byte budget");
  RC_CLASSIFY(model.capacity == 256, "256 slots");

  Sut sut;
  sut.pool = BufferPool::Create();
  RingOptions options;
  options.capacity = model.capacity;
  options.max_bytes = model.max_bytes;
  if (budget) options.max_slots = model.max_slots;
  sut.ring = std::make_unique<RingBuffer>(sut.pool, options);

  rc::state::check(model, sut, rc::state::gen::execOneOfWithArgs<Enqueue, Dequeue, Done, Close>());

  // Teardown: the ring returns its queued buffers, the lease its held one.
  sut.ring.reset();
  RC_ASSERT(sut.pool->stats().lent == (sut.lease.has_value() ? 1u : 0u));
  sut.pool->CheckConservation();
  sut.lease.Done();
  sut.pool->CheckAllReturned();
  RC_ASSERT(sut.pool->stats().lent == 0u);
}

}  // namespace
}  // namespace drpc::stream
