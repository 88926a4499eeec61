// rt::WaitingTasks on fibers: every parker in use (tasks and plain threads)
// with a wait label set (scheduler.cc's ParkLabeled).
#include "drpc/rt/waits.h"

#include <algorithm>

#include "drpc/rt/fiber/registry.h"

namespace drpc::rt {

std::vector<WaitingTask> WaitingTasks() {
  std::vector<WaitingTask> out;
  fiber::ForEachParker([&](const fiber::Parker& p) {
    const char* label = p.wait_label.load(std::memory_order_relaxed);
    if (label == nullptr) return;
    const char* object = p.wait_object.load(std::memory_order_relaxed);
    out.push_back(WaitingTask{p.id, p.name, label, object == nullptr ? "" : object});
  });
  std::stable_sort(out.begin(), out.end(),
                   [](const WaitingTask& a, const WaitingTask& b) { return a.id < b.id; });
  return out;
}

}  // namespace drpc::rt
