// The trace of a run: every event (operation, choice, switch, park, wake,
// spawn, exit, timer, failure) with its step and virtual time.
//
// Always on and cheap: each event folds into a 64-bit hash and lands in a
// small ring of recent events (for failure reports). Only when asked does the
// trace keep every event (for --trace files and the determinism check).
// Events hold ids and compile-time names, never addresses or run-time
// strings, so the hash is the same on every machine and compiler; names are
// looked up when an event is formatted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "drpc/sim/ids.h"
#include "sim/sched/decision.h"

namespace drpc::sim {

enum class EventType : uint8_t {
  kOp,           // `fiber` reached a scheduling point for `op` on `object` (it takes
                 // effect when the fiber next runs)
  kChoice,       // a decision: `choice_kind`, `n`, `value`; `other` = the fiber chosen
  kSwitch,       // the scheduler resumes `fiber`
  kSpawn,        // `fiber` started `other`
  kPark,         // `fiber` blocks on `object` (none: a sleep) at `label`, until `value`
  kWake,         // `fiber` (or the scheduler) wakes `other`, parked on `object`
  kTimeout,      // `other`'s deadline passed
  kTimeAdvance,  // virtual time jumps to `value`
  kExit,         // `fiber`'s body returned
  kFail,         // the run failed; `value` = the Outcome
};

struct TraceEvent {
  uint64_t step = 0;
  Nanos time = 0;
  FiberId fiber = kNoFiber;
  FiberId other = kNoFiber;
  uint32_t object = 0;
  EventType type = EventType::kOp;
  ChoiceKind choice_kind = ChoiceKind::kSchedule;
  bool has_value = false;  // kOp: `value` is the value read or written
  uint64_t value = 0;
  uint64_t n = 0;
  const char* op = nullptr;  // kOp: a StaticName's text
  uint64_t op_hash = 0;
  const char* label = nullptr;  // kPark: the wait site (a string literal)
};

// Hash of the fields that define an event (not its label text, and not its
// virtual time, which only a kTimeAdvance event changes). Computed for every
// event, so it is built for speed: independent multiplies of packed words,
// no serial chain. Good against accidents, which is all a determinism check
// needs; it is not meant to resist an adversary.
inline uint64_t HashEvent(const TraceEvent& e) {
  const uint64_t kinds = uint64_t{static_cast<uint8_t>(e.type)} |
                         uint64_t{static_cast<uint8_t>(e.choice_kind)} << 8 |
                         uint64_t{e.has_value} << 16 | uint64_t{e.object} << 32;
  const uint64_t fibers = uint64_t{e.fiber} | uint64_t{e.other} << 32;
  const uint64_t h = ((kinds ^ 0x243f6a8885a308d3ull) * 0x9e3779b97f4a7c15ull) ^
                     ((fibers ^ 0x13198a2e03707344ull) * 0xc2b2ae3d27d4eb4full) ^
                     ((e.value ^ 0xa4093822299f31d0ull) * 0x165667b19e3779f9ull) ^
                     ((e.n ^ e.op_hash ^ 0x082efa98ec4e6c89ull) * 0xd6e8feb86659fd93ull) ^
                     ((e.step ^ 0x452821e638d01377ull) * 0xff51afd7ed558ccdull);
  return h ^ (h >> 31);
}

// Names of the fibers and objects of one run, for formatting.
struct TraceNames {
  struct Object {
    const char* kind;
    std::string name;
  };
  std::vector<std::string> fibers;  // index = FiberId - 1
  std::vector<Object> objects;      // index = object id - 1
  std::string Fiber(FiberId id) const;
  std::string ObjectText(uint32_t id) const;  // `mutex "ring.mu"#3`
};

std::string FormatTime(Nanos t);  // "1.500000000s"
std::string FormatEvent(const TraceEvent& event, const TraceNames& names);
// What the event did, without FormatEvent's step, time and fiber columns
// ("lock mutex \"ring\"#5", "wakes #3 consumer (waiting on ...)").
std::string DescribeEvent(const TraceEvent& event, const TraceNames& names);
std::string TraceHeader();

class Trace {
 public:
  // Clears the trace for a new run (keeps allocated memory).
  void Reset(size_t tail_capacity, bool keep_all);

  // The slot for the next event, to be filled and then committed with
  // Close(). Writing the ring slot directly (rather than building an event
  // and copying it in) keeps this cheap: it happens several times per step.
  TraceEvent& Open() { return ring_size_ == 0 ? scratch_ : ring_[ring_next_]; }
  // Kept small enough to inline into every caller (several per step): the
  // ring's size is cached (vector::size() divides by sizeof(TraceEvent)),
  // and keeping every event, which only --trace and the determinism check
  // ask for, is out of line.
  void Close() {
    const TraceEvent& event = Open();
    hash_ = Fold(hash_, HashEvent(event));
    ++count_;
    if (keep_all_) [[unlikely]] {
      KeepEvent(event);
    }
    if (ring_size_ != 0) ring_next_ = ring_next_ + 1 == ring_size_ ? 0 : ring_next_ + 1;
  }
  void Add(const TraceEvent& event) {
    Open() = event;
    Close();
  }

  uint64_t hash() const { return hash_; }
  uint64_t count() const { return count_; }
  const std::vector<TraceEvent>& all() const { return all_; }
  // The most recent events, oldest first.
  std::vector<TraceEvent> Tail() const;

  // Order matters: the same events in another order give another hash.
  static uint64_t Fold(uint64_t hash, uint64_t event_hash) {
    return ((hash << 23 | hash >> 41) ^ event_hash) * 0x9e3779b97f4a7c15ull;
  }

 private:
  uint64_t hash_ = 0;
  uint64_t count_ = 0;
  void KeepEvent(const TraceEvent& event);

  std::vector<TraceEvent> ring_;
  size_t ring_size_ = 0;  // ring_.size()
  size_t ring_next_ = 0;
  TraceEvent scratch_;  // the open event when the ring is empty
  bool keep_all_ = false;
  std::vector<TraceEvent> all_;
};

}  // namespace drpc::sim
