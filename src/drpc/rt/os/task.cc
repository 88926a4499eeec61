// rt::Task on OS threads, with a bounded cache of idle worker threads: a
// spawn hands its body to the most recently parked worker and starts a thread
// only when none is idle. Why, what it costs and what a Task still promises:
// docs/rt.md, "OS backend: tasks on a cache of idle threads".
//
// The task handle (TaskState in internal/os_state.h: the id and the name)
// finds its job through a registry keyed by task id. A fork handler empties
// the cache in the child and holds every lock across the fork.
#include "drpc/rt/task.h"

#include <pthread.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/rt/os/waits.h"

namespace drpc::rt {
namespace {

// Idle workers kept at most. A burst wider than this creates threads again
// after the burst, but memory stays bounded (a parked thread keeps its
// touched stack pages).
constexpr size_t kMaxIdleWorkers = 128;
// A parked worker with nothing to do for this long exits.
constexpr std::chrono::seconds kIdleTimeout{2};
constexpr size_t kRegistryShards = 16;
static_assert((kRegistryShards & (kRegistryShards - 1)) == 0, "shard count is a power of two");

std::atomic<uint64_t> g_next_task_id{1};

// Set by the worker at the start of each task body, read only by that thread.
thread_local uint64_t t_task_id = 0;
thread_local std::string t_task_name = "main";

// One task: its body and whether it has finished. Shared by the registry
// (for join) and the worker running it.
struct Job {
  uint64_t id = 0;
  std::string name;
  UniqueFunction<void()> body;
  std::mutex mu;
  std::condition_variable finished_cv;
  bool finished = false;  // guarded by mu
};

// Task id -> job, for Task::join.
class JobRegistry {
 public:
  void Add(std::shared_ptr<Job> job) {
    Shard& shard = ShardOf(job->id);
    std::lock_guard<std::mutex> guard(shard.mu);
    const bool inserted = shard.jobs.emplace(job->id, job).second;
    DRPC_ASSERT(inserted, "task id " + std::to_string(job->id) + " registered twice");
  }

  // Removes and returns the job of task `id` (null if there is none).
  std::shared_ptr<Job> Take(uint64_t id) {
    Shard& shard = ShardOf(id);
    std::lock_guard<std::mutex> guard(shard.mu);
    auto it = shard.jobs.find(id);
    if (it == shard.jobs.end()) return nullptr;
    std::shared_ptr<Job> job = std::move(it->second);
    shard.jobs.erase(it);
    return job;
  }

  void LockAll() {
    for (Shard& s : shards_) s.mu.lock();
  }
  void UnlockAll() {
    for (Shard& s : shards_) s.mu.unlock();
  }

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<uint64_t, std::shared_ptr<Job>> jobs;  // guarded by mu
  };
  Shard& ShardOf(uint64_t id) { return shards_[id & (kRegistryShards - 1)]; }

  std::array<Shard, kRegistryShards> shards_;
};

// Idle worker threads waiting for a job.
class WorkerCache {
 public:
  // Runs `job` on an idle worker, or on a new thread if none is idle; false
  // (and why, in `error`) if no thread could be started for it.
  bool Run(std::shared_ptr<Job> job, std::string& error) {
    {
      std::lock_guard<std::mutex> guard(mu_);
      if (!idle_.empty()) {
        Worker* worker = idle_.back();
        idle_.pop_back();
        DRPC_ASSERT(worker->job == nullptr, "an idle worker already has a job");
        worker->job = std::move(job);
        // Under the lock: once it is released the worker may run the job,
        // find the cache full and exit, destroying its condition variable.
        worker->wake.notify_one();
        return true;
      }
    }
    return StartWorker(std::move(job), error);
  }

  void LockForFork() { mu_.lock(); }
  void UnlockInParent() { mu_.unlock(); }
  // The child has no worker threads: forget the parent's.
  void ResetInChild() {
    idle_.clear();
    mu_.unlock();
  }

 private:
  // Lives on its thread's stack; reachable from idle_ only while parked.
  struct Worker {
    std::condition_variable wake;
    std::shared_ptr<Job> job;  // guarded by the cache's mu_
  };

  bool StartWorker(std::shared_ptr<Job> job, std::string& error) {
    try {
      std::thread([this, first = std::move(job)]() mutable {
        WorkerMain(std::move(first));
      }).detach();
      return true;
    } catch (const std::system_error& e) {
      // Out of threads or memory: the spawner decides (TrySpawn's caller
      // fails what it was starting; spawn's treats it as fatal).
      error = e.what();
      return false;
    }
  }

  // Runs jobs until the cache is full or no job comes within kIdleTimeout.
  // Each iteration runs one task body, so the loop is bounded by the tasks
  // the program spawns.
  void WorkerMain(std::shared_ptr<Job> job) {
    Worker self;
    for (;;) {
      RunBody(*job);
      // Park BEFORE reporting the body finished: a joiner that spawns again
      // at once (a task per call, one call at a time) then finds this
      // worker idle instead of starting a thread.
      bool parked = false;
      {
        std::lock_guard<std::mutex> guard(mu_);
        if (idle_.size() < kMaxIdleWorkers) {
          idle_.push_back(&self);
          parked = true;
        }
      }
      MarkFinished(*job);
      job.reset();
      if (!parked) return;
      std::unique_lock<std::mutex> lock(mu_);
      const bool woken =
          self.wake.wait_for(lock, kIdleTimeout, [&] { return self.job != nullptr; });
      if (!woken) {
        // Still parked (Run pops a worker before giving it a job).
        auto it = std::find(idle_.begin(), idle_.end(), &self);
        DRPC_ASSERT(it != idle_.end(), "a timed-out worker is missing from the idle list");
        idle_.erase(it);
        return;
      }
      job = std::move(self.job);
    }
  }

  static void RunBody(Job& job) {
    t_task_id = job.id;
    t_task_name = std::move(job.name);
    job.body();
    // The captures die before join returns, as a std::thread's callable does.
    job.body = UniqueFunction<void()>();
    t_task_id = 0;
    t_task_name = "idle worker";
  }

  static void MarkFinished(Job& job) {
    {
      std::lock_guard<std::mutex> guard(job.mu);
      job.finished = true;
    }
    job.finished_cv.notify_all();
  }

  std::mutex mu_;
  std::vector<Worker*> idle_;  // guarded by mu_; the most recently parked last
};

// Both live for the whole process (never destroyed): detached workers may
// still be parked on them while static destructors run at exit.
struct Runtime {
  JobRegistry registry;
  WorkerCache cache;
};

void ForkPrepare();
void ForkParent();
void ForkChild();

Runtime& TheRuntime() {
  static Runtime* runtime = [] {
    auto* r = new Runtime();
    const int rc = ::pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild);
    DRPC_ASSERT(rc == 0, "pthread_atfork failed");
    return r;
  }();
  return *runtime;
}

// Lock order: cache, then registry shards in index order.
void ForkPrepare() {
  TheRuntime().cache.LockForFork();
  TheRuntime().registry.LockAll();
}
void ForkParent() {
  TheRuntime().registry.UnlockAll();
  TheRuntime().cache.UnlockInParent();
}
void ForkChild() {
  TheRuntime().registry.UnlockAll();
  TheRuntime().cache.ResetInChild();
}

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

// Every spawned task has a non-zero id until it is joined or moved from.
bool Task::joinable() const { return state_.id != 0; }

void Task::join() {
  DRPC_ASSERT(joinable(),
              "join of a task that is not joinable (never spawned, moved from, or "
              "already joined)");
  DRPC_ASSERT(state_.id != t_task_id, "task '" + state_.name + "' joins itself (self-deadlock)");
  std::shared_ptr<Job> job = TheRuntime().registry.Take(state_.id);
  DRPC_ASSERT(job != nullptr, "task '" + state_.name + "' has no job to join");
  {
    std::unique_lock<std::mutex> lock(job->mu);
    internal::WaitScope waiting("join", job->name.c_str());  // for rt::WaitingTasks
    job->finished_cv.wait(lock, [&] { return job->finished; });
  }
  state_.id = 0;
}

Task spawn(std::string name, UniqueFunction<void()> body) {
  Result<Task> task = TrySpawn(std::move(name), std::move(body));
  DRPC_ASSERT(task.ok(), "rt::spawn: " + task.status().message());
  return std::move(*task);
}

Result<Task> TrySpawn(std::string name, UniqueFunction<void()> body) {
  DRPC_ASSERT(static_cast<bool>(body), "spawn of task '" + name + "' with an empty body");
  auto job = std::make_shared<Job>();
  job->id = g_next_task_id.fetch_add(1, std::memory_order_relaxed);
  job->name = name;
  job->body = std::move(body);
  Task task;
  task.state_.id = job->id;
  task.state_.name = std::move(name);
  Runtime& runtime = TheRuntime();
  runtime.registry.Add(job);
  std::string error;
  if (!runtime.cache.Run(std::move(job), error)) {
    // Never started: forget it (its body goes with it) and leave the
    // handle not joinable.
    (void)runtime.registry.Take(task.state_.id);
    const std::string what = "cannot start a thread for task '" + task.state_.name + "': " + error;
    task.state_.id = 0;
    task.state_.name.clear();
    return ResourceExhaustedError(what);
  }
  return task;
}

void yield() { std::this_thread::yield(); }

TaskInfo current_task() { return TaskInfo{t_task_id, t_task_name, 0}; }
TaskView current_task_view() { return TaskView{t_task_id, t_task_name, 0}; }

uint64_t internal::CurrentTaskId() { return t_task_id; }

}  // namespace drpc::rt
