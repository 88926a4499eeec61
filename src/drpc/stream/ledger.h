// The ownership ledger (checked builds): where every pooled buffer is and
// how it got there. Each buffer's LedgerRecord lives in its pool block's
// header; a broken ownership rule is reported through LedgerViolation,
// which in the simulator fails the run with its replay line.
//
//   LedgerRecord record;
//   record.Move("get", Place::kOwned, /*generation=*/1);
//   record.DescribePlace();   // "owned by a task (lent, in no ring)"
//
// What the ledger checks and how a report reads: docs/stream.md, "Buffer
// pool, ring, lease and ledger".
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace drpc::stream {

// Where a pooled buffer is. Every buffer is in exactly one place.
enum class Place : uint8_t {
  kFreed,   // not lent and its bytes were freed (a capped return, or never filled)
  kInPool,  // not lent, kept in the pool's free list
  kOwned,   // lent by Get to a task, not (yet) given to a ring
  // Lent to a stream's reader side for the packet it is assembling: frame
  // payloads are read into it in place, then it goes to the ring (or is
  // abandoned: stream canceled, connection torn down, replaced by a frame
  // with a higher message id, over the packet limit).
  kAssembling,
  kProducer,  // inside a ring's Enqueue (copying, or waiting for a slot)
  kQueued,    // in a ring slot
  kHeld,      // dequeued: held by the consumer's lease
};
// True for the places that count as lent (pool.lent in §3.6).
constexpr bool IsLent(Place place) { return place >= Place::kOwned; }

// One move of a buffer.
struct LedgerEvent {
  uint64_t step = 0;  // simulator step (0 in the OS backend)
  uint64_t task_id = 0;
  std::array<char, 20> task_name{};  // truncated copy: events must not allocate
  const char* op = "";               // a string literal: "get", "enqueue", "done", ...
  Place to = Place::kFreed;
  uint32_t ring = 0;  // rings are numbered from 1 by their pool; 0 = none
  uint32_t slot = 0;
  uint64_t generation = 0;
};

class LedgerRecord {
 public:
  static constexpr size_t kHistory = 12;

  Place place() const { return place_; }
  uint32_t ring() const { return ring_; }
  uint32_t slot() const { return slot_; }
  uint64_t moves() const { return moves_; }

  // Moves the buffer to `to` and remembers who did it (rt::current_task()).
  // A move into or out of kAssembling that the rules do not allow (see
  // CheckAssemblingMove) is a ledger violation.
  void Move(const char* op, Place to, uint64_t generation, uint32_t ring = 0, uint32_t slot = 0);

  // "queued in ring 2 slot 5", "held by the consumer of ring 2", ...
  std::string DescribePlace() const;
  // The remembered moves, oldest first, one indented line each.
  std::string History() const;

 private:
  Place place_ = Place::kFreed;
  uint32_t ring_ = 0;
  uint32_t slot_ = 0;
  uint64_t moves_ = 0;
  std::array<LedgerEvent, kHistory> history_{};
};

// The rules of the assembling state: a buffer enters it only right after
// the pool lent it (kOwned -> "assemble") or while it stays in it (it
// grew); it leaves it only for its ring's producer ("enqueue owned") or back
// to the pool with a reason: an op starting with "abandoned" (stream
// canceled, connection torn down, replaced by a higher message id, over the
// packet limit) or "handled" (a packet other than a Message, used in place).
// Returns what is wrong, or null.
const char* AssemblingMoveError(Place from, Place to, const char* op);

// "pool "conn" #3 (generation 7)".
std::string BufferName(std::string_view pool_name, uint32_t index, uint64_t generation);

// Reports a broken ownership rule and stops (in the simulator: fails the
// run). `what` is the rule ("double release"), `buffer` from BufferName,
// `detail` any further lines (may be empty).
[[noreturn]] void LedgerViolation(std::string_view what, std::string_view buffer,
                                  const LedgerRecord& record, std::string_view detail);

// The same for a broken rule that is not about one buffer (counts that do not
// add up).
[[noreturn]] void LedgerViolation(std::string_view what, std::string_view detail);

}  // namespace drpc::stream
