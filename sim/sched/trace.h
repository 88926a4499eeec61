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

#include "sim/sched/decision.h"
#include "sim/sched/ids.h"

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

// Hash of the fields that define an event (not its label text).
uint64_t HashEvent(const TraceEvent& event);

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
std::string TraceHeader();

class Trace {
 public:
  // Clears the trace for a new run (keeps allocated memory).
  void Reset(size_t tail_capacity, bool keep_all);

  void Add(const TraceEvent& event) {
    hash_ = Fold(hash_, HashEvent(event));
    ++count_;
    if (!ring_.empty()) {
      ring_[ring_next_] = event;
      ring_next_ = ring_next_ + 1 == ring_.size() ? 0 : ring_next_ + 1;
    }
    if (keep_all_) all_.push_back(event);
  }

  uint64_t hash() const { return hash_; }
  uint64_t count() const { return count_; }
  bool keeps_all() const { return keep_all_; }
  const std::vector<TraceEvent>& all() const { return all_; }
  // The most recent events, oldest first.
  std::vector<TraceEvent> Tail() const;

  static uint64_t Fold(uint64_t hash, uint64_t event_hash);

 private:
  uint64_t hash_ = 0;
  uint64_t count_ = 0;
  std::vector<TraceEvent> ring_;
  size_t ring_next_ = 0;
  bool keep_all_ = false;
  std::vector<TraceEvent> all_;
};

}  // namespace drpc::sim
