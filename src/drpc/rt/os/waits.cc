// rt::WaitingTasks() for the thread backend: every thread that ever waited
// has a record in a process-wide list; a WaitScope fills its thread's record
// while the wait lasts, WaitingTasks copies the records marked waiting.
#include "drpc/rt/waits.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "drpc/rt/os/waits.h"
#include "drpc/rt/task.h"

namespace drpc::rt {
namespace {

struct WaitRecord {
  std::mutex mu;  // guards the fields below (the owner writes, WaitingTasks reads)
  bool waiting = false;
  WaitingTask task;
};

// The records of live threads. Leaked on purpose: threads may wait during
// static destruction.
struct Registry {
  std::mutex mu;
  std::vector<std::shared_ptr<WaitRecord>> records;
};
Registry& TheRegistry() {
  static Registry* registry = new Registry;
  return *registry;
}

// The calling thread's record, registered on first use and dropped from the
// list when the thread exits.
class ThreadRecord {
 public:
  ThreadRecord() : record_(std::make_shared<WaitRecord>()) {
    Registry& r = TheRegistry();
    std::lock_guard<std::mutex> guard(r.mu);
    r.records.push_back(record_);
  }
  ~ThreadRecord() {
    Registry& r = TheRegistry();
    std::lock_guard<std::mutex> guard(r.mu);
    r.records.erase(std::remove(r.records.begin(), r.records.end(), record_), r.records.end());
  }
  WaitRecord& record() { return *record_; }

 private:
  std::shared_ptr<WaitRecord> record_;
};

WaitRecord& ThisThreadsRecord() {
  thread_local ThreadRecord record;
  return record.record();
}

}  // namespace

internal::WaitScope::WaitScope(const char* label, const char* object) {
  WaitRecord& r = ThisThreadsRecord();
  const uint64_t id = CurrentTaskId();
  // The name is copied only when the thread runs another task than at its
  // last wait: copying it on every wait allocated twice per message read
  // (names outgrow the small-string buffer), the thread backend's main
  // steady-state allocation (heaptrack on bench_rpc_threads BM_Stream).
  // Names never change within a task, and no two states of a thread share
  // an id (an idle pool thread is 0, its tasks are not).
  std::string name;
  if (id != r.task.id || r.task.name.empty()) name = current_task().name;
  std::lock_guard<std::mutex> guard(r.mu);
  r.waiting = true;
  if (!name.empty()) {
    r.task.id = id;
    r.task.name = std::move(name);
  }
  r.task.label = label != nullptr ? label : "";
  r.task.object = object != nullptr ? object : "";
}

internal::WaitScope::~WaitScope() {
  WaitRecord& r = ThisThreadsRecord();
  std::lock_guard<std::mutex> guard(r.mu);
  r.waiting = false;
}

std::vector<WaitingTask> WaitingTasks() {
  std::vector<WaitingTask> out;
  {
    Registry& registry = TheRegistry();
    std::lock_guard<std::mutex> guard(registry.mu);
    for (const std::shared_ptr<WaitRecord>& r : registry.records) {
      std::lock_guard<std::mutex> record_guard(r->mu);
      if (r->waiting) out.push_back(r->task);
    }
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const WaitingTask& a, const WaitingTask& b) { return a.id < b.id; });
  return out;
}

}  // namespace drpc::rt
