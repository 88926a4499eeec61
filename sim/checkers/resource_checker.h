// ResourceChecker: a simulator StepHook that, at every scheduling step,
// checks that each watched connection and server holds no more than its
// budget, and, when asked at the end of a run, that everything was released
// (bytes 0 in every category, no task, no connection). A failure names the
// connection, the category and the numbers, and fails the run (sim::Fail),
// so its seed replays it.
//
//   ResourceChecker resources;                       // inside the run
//   resources.WatchConnection(manager);              // its meter and options().budget
//   resources.Watch("server", server.meter(),
//                   {.max_tasks = opts.max_tasks, .max_connections = opts.max_connections});
//   ... the workload ...
//   // destroy everything, then:
//   resources.CheckReleased();
//
// The meters are shared, so the checker may outlive what it watches. What a
// connection holds and its budget: docs/resources.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/resource_meter.h"
#include "drpc/manager/manager.h"
#include "sim/sched/run.h"

namespace drpc::sim {

struct ResourceLimits {
  size_t max_bytes = std::numeric_limits<size_t>::max();
  size_t max_tasks = std::numeric_limits<size_t>::max();
  size_t max_connections = std::numeric_limits<size_t>::max();
  // The writer's queue and batch in flight (ResourceKind::kWriterQueue).
  size_t max_writer_queue_bytes = std::numeric_limits<size_t>::max();
};

// What a connection's MuxWriter may hold (docs/manager.md, "Back-pressure"):
// data frames queue only below high_water_bytes, so the queue holds below
// the mark plus one batch (at most four frames of the largest a stream
// writes); its capacity at most doubles that, and the batch in flight is a
// swapped queue: 4 x (mark + 4 frames). Unbounded (max) without a mark.
size_t WriterQueueBound(const manager::ManagerOptions& options);

class ResourceChecker {
 public:
  // Installs the step hook; create it inside the run.
  ResourceChecker();
  ResourceChecker(const ResourceChecker&) = delete;
  ResourceChecker& operator=(const ResourceChecker&) = delete;

  // Checks `meter` under `name` from now on.
  void Watch(std::string name, std::shared_ptr<const ResourceMeter> meter, ResourceLimits limits);
  // A connection: its name, meter, ManagerOptions::budget and its writer's
  // queue bound (WriterQueueBound).
  void WatchConnection(const manager::Manager& connection);

  // What the step hook runs: every watched meter within its limits, no
  // count negative.
  void CheckNow();
  // At the end, with everything watched destroyed (or closed): every
  // meter back to zero.
  void CheckReleased() const;

  // The largest total bytes each watched meter reached, one line each, for
  // reports ("server.c1 peak 70123520 bytes (budget 67108864), 7 tasks").
  std::string Peaks() const;

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<const ResourceMeter> meter;
    ResourceLimits limits;
    int64_t peak_bytes = 0;
    int64_t peak_tasks = 0;
  };

  std::vector<Entry> entries_;
  std::unique_ptr<StepHook> hook_;
};

}  // namespace drpc::sim
