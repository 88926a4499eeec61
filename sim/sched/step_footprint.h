// What a stretch of a run touched, for explore's sleep sets (explore.h):
// two stretches run by different fibers commute when their footprints do,
// so a search that ran one order need not run the other.
//
// The dependence relation is the scheduler's, not the program's: a step is
// what a fiber does from one scheduling point to the next, and what it
// touches is every sync object (mutex, condvar, atomic, task exit, and the
// pipes and sockets built on them) the scheduler sees it use. Plain memory
// shared between fibers with no rt object around it is invisible, which is
// why the simulator's code reaches shared state only through rt objects
// (every rt operation is a scheduling point). Whatever the recorder cannot
// pin to one object makes the footprint `everything`, dependent on every
// other step: spawns and yields (object 0), virtual time moving, a mutex
// taken inside a condition wait, and any choice other than who runs.
//
// Object ids are handed out on first use, so the same object can get
// different ids in two orders of the same steps. A footprint therefore
// keeps only ids that existed when its stretch began; objects first used
// inside it set `fresh`, and two fresh footprints never commute.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/sched/step_observer.h"

namespace drpc::sim {

struct Footprint {
  bool everything = false;
  bool fresh = false;
  std::vector<uint32_t> objects;  // ids that existed before, sorted, unique

  void Add(uint32_t object);
  // Whether running the two stretches in either order gives the same state.
  bool CommutesWith(const Footprint& other) const;
};

// A StepObserver that accumulates the footprint of the current stretch:
// explore calls Begin when a choice picks who runs and Take at the next
// choice (or the end of the run).
class FootprintRecorder final : public StepObserver {
 public:
  void Reset();  // before each run
  // A choice picked `fiber`: the stretch starts with the operation it
  // stopped at (a fiber that never stopped starts with plain code).
  void Begin(FiberId fiber);
  void MarkEverything() { current_.everything = true; }
  // The footprint since the last Take; starts the next one empty.
  Footprint Take();

  void OnOp(FiberId fiber, uint64_t op_hash, uint32_t object) override;
  void OnNewObject(uint32_t object, const char* name) override;
  void OnUse(uint32_t object) override;
  void OnLock(FiberId fiber) override;
  void OnForced(FiberId fiber) override { Begin(fiber); }

 private:
  struct Pending {
    bool known = false;     // the fiber reached a scheduling point
    uint32_t object = 0;    // of the operation it stopped at
    uint32_t lock_ops = 0;  // mutex hand-overs that operation explains
  };
  Pending& PendingOf(FiberId fiber);
  void Touch(uint32_t object);

  std::vector<Pending> pending_;  // index = FiberId - 1
  uint32_t known_ids_ = 0;        // ids below or at this existed when the stretch began
  uint32_t highest_id_ = 0;
  Footprint current_;
};

}  // namespace drpc::sim
