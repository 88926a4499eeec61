// rt::Task on the fiber backend: a task is a fiber (scheduler.h); its
// handle holds the task's record until join.
#include "drpc/rt/task.h"

#include <atomic>
#include <mutex>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/fiber/scheduler.h"

namespace drpc::rt {
namespace {

std::atomic<uint64_t> g_next_task_id{1};

}  // namespace

Task::Task(Task&& other) noexcept : state_(std::move(other.state_)) {
  other.state_.id = 0;
  other.state_.name.clear();
  other.state_.record = nullptr;
}

Task& Task::operator=(Task&& other) noexcept {
  if (this == &other) return *this;
  DRPC_ASSERT(!joinable(),
              "task '" + state_.name + "' overwritten by a move while still joinable (not joined)");
  state_ = std::move(other.state_);
  other.state_.id = 0;
  other.state_.name.clear();
  other.state_.record = nullptr;
  return *this;
}

Task::~Task() {
  DRPC_ASSERT(!joinable(), "task '" + state_.name + "' (id " + std::to_string(state_.id) +
                               ") destroyed without join: it would outlive what it uses");
}

bool Task::joinable() const { return state_.id != 0; }

void Task::join() {
  DRPC_ASSERT(joinable(),
              "join of a task that is not joinable (never spawned, moved from, or "
              "already joined)");
  fiber::TaskRecord* record = state_.record;
  DRPC_ASSERT(record != fiber::CurrentTask(),
              "task '" + state_.name + "' joins itself (self-deadlock)");
  record->join_lock.lock();
  if (!record->done) {
    fiber::ParkLabeled("join", "task", [&](fiber::Waker waker) {
      record->joiner = waker;
      record->join_lock.unlock();
    });
    record->join_lock.lock();
  }
  DRPC_ASSERT(record->done, "task '" + state_.name + "' join woke before the task finished");
  record->join_lock.unlock();
  fiber::ReleaseTask(record);
  state_.id = 0;
  state_.record = nullptr;
}

Task spawn(std::string name, UniqueFunction<void()> body) {
  Result<Task> task = TrySpawn(std::move(name), std::move(body));
  DRPC_ASSERT(task.ok(), "rt::spawn: " + task.status().message());
  return std::move(*task);
}

Result<Task> TrySpawn(std::string name, UniqueFunction<void()> body) {
  DRPC_ASSERT(static_cast<bool>(body), "spawn of task '" + name + "' with an empty body");
  const uint64_t id = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
  std::string error;
  fiber::TaskRecord* record = fiber::StartTask(id, name, std::move(body), error);
  if (record == nullptr) return ResourceExhaustedError(error);  // `body` died with StartTask's copy
  Task task;
  task.state_.id = id;
  task.state_.name = std::move(name);
  task.state_.record = record;
  return task;
}

void yield() { fiber::YieldFiber(); }

TaskInfo current_task() {
  const TaskView view = current_task_view();
  return TaskInfo{view.id, std::string(view.name), view.step};
}

TaskView current_task_view() {
  if (fiber::TaskRecord* task = fiber::CurrentTask()) return TaskView{task->id, task->name, 0};
  return TaskView{0, "main", 0};
}

}  // namespace drpc::rt
