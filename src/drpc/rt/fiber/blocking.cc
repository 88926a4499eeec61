// rt::RunBlocking on fibers: a bounded pool of plain threads, started on
// first use, runs blocking work while the calling fiber is parked. More
// calls than threads queue (FIFO); none is dropped. A caller that is not on
// a fiber (a plain thread may block) runs the work itself.
#include "drpc/rt/blocking.h"

#include <pthread.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <system_error>
#include <thread>

#include "drpc/base/check.h"
#include "drpc/rt/fiber/blocking_pool.h"
#include "drpc/rt/fiber/park.h"

namespace drpc::rt {
namespace fiber {
namespace {

struct Job {
  FunctionRef<void()> work;
  Waker waker;
};

struct Pool {
  std::mutex mu;
  std::condition_variable ready;
  std::deque<Job*> queue;  // guarded by mu
  size_t threads = 0;      // guarded by mu
  size_t idle = 0;         // guarded by mu
};

Pool* g_pool = nullptr;  // guarded by g_pool_mu; leaked (its threads run at exit)
std::mutex g_pool_mu;

void ForkPrepare() { g_pool_mu.lock(); }
void ForkParent() { g_pool_mu.unlock(); }
// The child has none of the pool's threads: it starts a new pool.
void ForkChild() {
  g_pool = nullptr;
  g_pool_mu.unlock();
}

Pool& ThePool() {
  std::lock_guard<std::mutex> guard(g_pool_mu);
  static const bool handlers = ::pthread_atfork(&ForkPrepare, &ForkParent, &ForkChild) == 0;
  DRPC_ASSERT(handlers, "pthread_atfork failed");
  if (g_pool == nullptr) g_pool = new Pool();
  return *g_pool;
}

void PoolThread(Pool* pool) {
  std::unique_lock<std::mutex> lock(pool->mu);
  for (;;) {
    ++pool->idle;
    pool->ready.wait(lock, [&] { return !pool->queue.empty(); });
    --pool->idle;
    Job* job = pool->queue.front();
    pool->queue.pop_front();
    lock.unlock();
    job->work();
    const Waker waker = job->waker;  // the job dies with the caller's wake
    waker.Wake();
    lock.lock();
  }
}

}  // namespace

size_t BlockingPoolThreads() { return kBlockingPoolThreads; }

}  // namespace fiber

void RunBlocking(const char* label, FunctionRef<void()> work) {
  if (!fiber::OnFiber()) {
    work();
    return;
  }
  fiber::Pool& pool = fiber::ThePool();
  fiber::Job job{work, fiber::Waker()};
  fiber::ParkLabeled(label, "blocking pool", [&](fiber::Waker waker) {
    job.waker = waker;
    std::lock_guard<std::mutex> guard(pool.mu);
    pool.queue.push_back(&job);
    if (pool.idle == 0 && pool.threads < fiber::kBlockingPoolThreads) {
      try {
        std::thread(fiber::PoolThread, &pool).detach();
        ++pool.threads;
      } catch (const std::system_error&) {
        // No thread now: the job waits for a running one. With none at
        // all, nothing could run it.
        DRPC_ASSERT(pool.threads > 0, "rt::RunBlocking: cannot start a blocking-pool thread");
      }
    }
    pool.ready.notify_one();
  });
}

}  // namespace drpc::rt
