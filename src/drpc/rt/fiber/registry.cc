#include "drpc/rt/fiber/registry.h"

#include <mutex>
#include <utility>
#include <vector>

#include "drpc/base/check.h"

namespace drpc::rt::fiber {
namespace {

struct Registry {
  std::mutex mu;
  std::vector<Parker*> all;           // guarded by mu; never shrinks
  TaskRecord* free_tasks = nullptr;   // guarded by mu
  std::vector<Parker*> free_threads;  // guarded by mu
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();  // never destroyed (see registry.h)
  return *registry;
}

// A plain thread's parker, back in the registry when the thread exits.
struct ThreadParkerHolder {
  Parker* parker = nullptr;
  ~ThreadParkerHolder() {
    if (parker == nullptr) return;
    Registry& r = TheRegistry();
    std::lock_guard<std::mutex> guard(r.mu);
    parker->in_use = false;
    r.free_threads.push_back(parker);
  }
};
thread_local ThreadParkerHolder t_parker;

}  // namespace

Parker* ThreadParker() {
  ThreadParkerHolder* holder = &t_parker;
  if (holder->parker != nullptr) return holder->parker;
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> guard(r.mu);
  Parker* parker;
  if (!r.free_threads.empty()) {
    parker = r.free_threads.back();
    r.free_threads.pop_back();
  } else {
    parker = new Parker();
    r.all.push_back(parker);
  }
  parker->id = 0;
  parker->name = "thread";
  parker->in_use = true;
  holder->parker = parker;
  return parker;
}

TaskRecord* NewTaskRecord(uint64_t id, std::string name) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> guard(r.mu);
  TaskRecord* task = r.free_tasks;
  if (task != nullptr) {
    r.free_tasks = task->next_free;
  } else {
    task = new TaskRecord();
    task->task = task;
    r.all.push_back(task);
  }
  task->next_free = nullptr;
  task->id = id;
  task->name = std::move(name);
  task->in_use = true;
  return task;
}

void RecycleTaskRecord(TaskRecord* task) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> guard(r.mu);
  DRPC_ASSERT(task->in_use, "a task record recycled twice");
  task->in_use = false;
  task->name.clear();
  task->next_free = r.free_tasks;
  r.free_tasks = task;
}

void ForEachParker(FunctionRef<void(const Parker&)> visit) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> guard(r.mu);
  for (const Parker* p : r.all) {
    if (p->in_use) visit(*p);
  }
}

void LockRegistryForFork() { TheRegistry().mu.lock(); }
void UnlockRegistryAfterFork() { TheRegistry().mu.unlock(); }

}  // namespace drpc::rt::fiber
