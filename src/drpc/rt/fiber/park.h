// The seam between the fiber OS backend's scheduler and everything in it
// that waits for the outside world (sockets, timers, the blocking pool).
// Internal to the fiber backend (src/drpc/rt/fiber): library code uses the
// rt headers.
//
//   fiber::Park([&](fiber::Waker waker) {
//     socket.async_wait(readable, [waker](auto) { waker.Wake(); });
//   });
//
// A task parks; whoever holds its Waker wakes it, from any thread, at most
// once per Park. The runtime's reactor is one Boost.Asio io_context that the
// worker threads run; handlers posted to it run on a worker thread, never on
// a fiber's stack.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>

#include "drpc/base/function_ref.h"

namespace drpc::rt::fiber {

// The runtime's reactor (started on first use with the configured number of
// worker threads). Completion handlers registered on it run on a worker
// thread; they must not block and must not park.
boost::asio::io_context& Io();

struct Parker;  // the scheduler's record of one parked task (a fiber or a plain thread)
struct TaskRecord;

// Wakes one parked task. Copyable and cheap; only the first Wake after a
// Park has an effect, later ones (or ones after the task resumed) do nothing
// harmful as long as the Waker is not used after the Park it came from has
// returned AND a new Park began (the caller's protocol must guarantee one
// Wake per Park, as a completion handler does).
//
// A Waker also carries the number of the Park it came from (`epoch`), so a
// late Wake (a timer's after a notify won, an asio handler after the wait
// it served ended) finds its Park gone and does nothing: parkers are never
// freed, only reused, and their epochs only grow.
class Waker {
 public:
  Waker() = default;
  Waker(Parker* parker, uint64_t epoch) : parker_(parker), epoch_(epoch) {}
  void Wake() const;  // any thread; may run before Park has finished parking
  // Wake, for the last statement of a reactor handler: on a worker outside
  // any fiber the woken task runs at once, on this thread, inside the
  // handler (as if the handler had returned and the worker taken the task
  // from the queue next, minus the trip through it). Nothing the handler
  // captured may be used after it.
  void WakeHere() const;
  explicit operator bool() const { return parker_ != nullptr; }

 private:
  TaskRecord* Claim() const;  // the task to run, once per Park
  Parker* parker_ = nullptr;
  uint64_t epoch_ = 0;
};

// Parks the calling task until the Waker handed to `arm` is woken. `arm` runs
// on the calling task, before it parks; it registers the waker with whatever
// will complete (an asio operation, another task's queue). On a fiber the
// worker thread runs other fibers meanwhile; on a thread the runtime did not
// start (main, a test's thread) the thread blocks.
void Park(FunctionRef<void(Waker)> arm);

// True when the caller runs on one of the runtime's fibers.
bool OnFiber();

// Park, recording what the task waits on for rt::WaitingTasks (`label` and
// `object` are string literals or names that outlive the wait).
void ParkLabeled(const char* label, const char* object, FunctionRef<void(Waker)> arm);

}  // namespace drpc::rt::fiber
