// rt::Task: a named concurrent task (an OS thread, or a fiber in the
// simulator). A task must be joined before its handle is destroyed; leaving
// one running is a bug the destructor reports.
//
//   rt::Task worker = rt::spawn("worker", [&] { Work(); });
//   worker.join();
//
// See docs/rt.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "drpc/base/result.h"
#include "drpc/base/unique_function.h"
#include "drpc/rt/internal/backend.h"

namespace drpc::rt {

class Task {
 public:
  Task() = default;
  Task(Task&& other) noexcept;
  Task& operator=(Task&& other) noexcept;
  ~Task();

  bool joinable() const;
  void join();  // a scheduling point; blocks until the task's body returned

 private:
  friend Task spawn(std::string name, UniqueFunction<void()> body);
  friend Result<Task> TrySpawn(std::string name, UniqueFunction<void()> body);
  detail::TaskState state_;
};

// Starts `body` as a new task. `name` shows in traces and reports. A task
// that cannot be started is fatal: code a peer can drive uses TrySpawn.
Task spawn(std::string name, UniqueFunction<void()> body);

// Like spawn, but failing to start the task (no thread or memory for it; in
// the simulator, the rt.spawn-failure fault site, which spawn never
// consults) is an error with code
// kResourceExhausted, and `body` is destroyed without running.
Result<Task> TrySpawn(std::string name, UniqueFunction<void()> body);

// A bare scheduling point: lets another task run (std::this_thread::yield in
// the OS backend).
void yield();

// Who is running, for diagnostics and ledger histories: a stable small id
// (0 for a thread the runtime did not start), its name, and in the simulator
// the current step number (0 in the OS backend).
struct TaskInfo {
  uint64_t id = 0;
  std::string name;
  uint64_t step = 0;
};
TaskInfo current_task();
// current_task() without copying the name: `name` is the running task's
// own, valid while it runs. For a record that must not allocate (the
// buffer ledger copies it into a fixed-size event).
struct TaskView {
  uint64_t id = 0;
  std::string_view name;
  uint64_t step = 0;
};
TaskView current_task_view();

}  // namespace drpc::rt
