// rt::Clock on std::chrono::steady_clock: the same epoch and resolution, so
// converting between the two is a relabelling, never arithmetic.
#include "drpc/rt/time.h"

#include <chrono>
#include <thread>
#include <type_traits>

#include "drpc/rt/os/waits.h"

namespace drpc::rt {

static_assert(std::is_same_v<std::chrono::steady_clock::duration, Clock::duration>);

Clock::time_point Clock::now() {
  return time_point(std::chrono::steady_clock::now().time_since_epoch());
}

void sleep_until(TimePoint deadline) {
  internal::WaitScope waiting("sleep", "");  // for rt::WaitingTasks
  // steady_clock::time_point::max() is a valid argument: it sleeps until
  // interrupted, which for a thread means forever, as asked.
  std::this_thread::sleep_until(std::chrono::steady_clock::time_point(deadline.time_since_epoch()));
}

}  // namespace drpc::rt
