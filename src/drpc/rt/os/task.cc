// rt::Task on std::thread. Every thread the runtime starts gets a small id
// (1, 2, ... in spawn order, never reused) and keeps its name in a
// thread-local, so current_task() can say who is running; threads the
// runtime did not start are task 0, "main".
#include "drpc/rt/task.h"

#include <atomic>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "drpc/base/check.h"

namespace drpc::rt {
namespace {

std::atomic<uint64_t> g_next_task_id{1};

// Set once at the start of a spawned thread, read only by that thread.
thread_local uint64_t t_task_id = 0;
thread_local std::string t_task_name = "main";

}  // namespace

Task::Task(Task&& other) noexcept : state_(std::move(other.state_)) {
  other.state_.id = 0;
  other.state_.name.clear();
}

Task& Task::operator=(Task&& other) noexcept {
  if (this == &other) return *this;
  DRPC_ASSERT(!joinable(),
              "task '" + state_.name + "' overwritten by a move while still joinable (not joined)");
  state_ = std::move(other.state_);
  other.state_.id = 0;
  other.state_.name.clear();
  return *this;
}

Task::~Task() {
  DRPC_ASSERT(!joinable(), "task '" + state_.name + "' (id " + std::to_string(state_.id) +
                               ") destroyed without join: it would outlive what it uses");
}

bool Task::joinable() const { return state_.thread.joinable(); }

void Task::join() {
  DRPC_ASSERT(joinable(),
              "join of a task that is not joinable (never spawned, moved from, or "
              "already joined)");
  DRPC_ASSERT(state_.thread.get_id() != std::this_thread::get_id(),
              "task '" + state_.name + "' joins itself (self-deadlock)");
  state_.thread.join();
}

Task spawn(std::string name, UniqueFunction<void()> body) {
  DRPC_ASSERT(static_cast<bool>(body), "spawn of task '" + name + "' with an empty body");
  Task task;
  task.state_.id = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
  task.state_.name = name;
  try {
    task.state_.thread = std::thread(
        [id = task.state_.id, name = std::move(name), body = std::move(body)]() mutable {
          t_task_id = id;
          t_task_name = std::move(name);
          body();
        });
  } catch (const std::system_error& e) {
    // Out of threads or memory: not an error the caller can handle.
    InvariantViolated(__FILE__, __LINE__, "std::thread started",
                      "cannot start a thread for task '" + task.state_.name + "': " + e.what());
  }
  return task;
}

void yield() { std::this_thread::yield(); }

TaskInfo current_task() { return TaskInfo{t_task_id, t_task_name, 0}; }

}  // namespace drpc::rt
