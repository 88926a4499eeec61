// `drpc-sim run|replay ... --html FILE`: one self-contained HTML page that
// draws a run. A lane per task (and one for the scheduler), a row per trace
// event in step order with its virtual time, arrows for the edges that order
// tasks (an unlock to the next lock of the mutex by another task, a wake to
// the woken task's next event, a spawn to the child's first event), the
// failing step and its invariant marked, the report's history lines (the
// buffer ledger's moves) linked to their steps, and search and filters by
// task, event kind and text. Rows are drawn lazily, so runs of 100,000
// events stay usable. No network: the script and style are inline.
//
// The page writes what it drew into a hidden element, for headless tests:
//   <div id="timeline-summary" data-lanes="5" data-events="205" data-edges="31"
//        data-fail-step="45" data-rows="..." data-failure-marker="1">
// (docs/timeline.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/sched/trace.h"

namespace drpc::sim::cli {

enum class EdgeKind : uint8_t {
  kLock,     // an unlock, then a lock of the same mutex by another task
  kNotify,   // a wake of a task waiting on a condvar
  kHandoff,  // a wake of a task waiting on a mutex
  kJoin,     // a wake of a task waiting for another to exit
  kWake,     // any other wake (a sleep's or deadline's timer, other objects)
  kSpawn,    // a spawn, then the child's first event
};
std::string_view EdgeKindName(EdgeKind kind);  // "lock", "notify", ...

// Event `from` (an index into the events) let event `to` happen.
struct TimelineEdge {
  uint32_t from = 0;
  uint32_t to = 0;
  EdgeKind kind = EdgeKind::kWake;
};
// Every edge of a run's events, ordered by `from`.
std::vector<TimelineEdge> TimelineEdges(const std::vector<TraceEvent>& events,
                                        const TraceNames& names);

// What the page draws, counted from the trace (tests compare the page's
// summary with these).
struct TimelineCounts {
  uint64_t lanes = 0;  // the scheduler's lane and one per task
  uint64_t events = 0;
  uint64_t edges = 0;
  int64_t fail_step = -1;  // the step of the failure event; -1: the run passed
};
TimelineCounts CountTimeline(const std::vector<TraceEvent>& events, const TraceNames& names);

struct TimelineRun {
  std::string title;    // "ring.double-done.buggy seed 0"
  std::string outcome;  // "ok", "invariant_failed", ...
  std::string report;   // the failure report (empty when ok)
  std::string replay;   // the command that reruns it
  const std::vector<TraceEvent>* events = nullptr;
  const TraceNames* names = nullptr;
};

std::string TimelineHtml(const TimelineRun& run);
// Writes TimelineHtml to `path`; false and `error` if it cannot be written.
bool WriteTimeline(const TimelineRun& run, const std::string& path, std::string& error);

}  // namespace drpc::sim::cli
