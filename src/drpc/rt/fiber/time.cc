// rt::Clock on std::chrono::steady_clock (the same epoch and resolution);
// sleep_until on a fiber parks on a reactor timer.
#include "drpc/rt/time.h"

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <thread>
#include <type_traits>

#include "drpc/rt/fiber/park.h"
#include "drpc/rt/fiber/timer_wake.h"

namespace drpc::rt {

static_assert(std::is_same_v<std::chrono::steady_clock::duration, Clock::duration>);

Clock::time_point Clock::now() {
  return time_point(std::chrono::steady_clock::now().time_since_epoch());
}

void sleep_until(TimePoint deadline) {
  if (!fiber::OnFiber()) {
    std::this_thread::sleep_until(fiber::SteadyTime(deadline));
    return;
  }
  if (deadline == kNoDeadline) {
    fiber::ParkLabeled("sleep", "", [](fiber::Waker) {});  // asked to sleep forever
    return;
  }
  if (deadline <= now()) return;
  boost::asio::steady_timer timer(fiber::Io());
  fiber::ParkLabeled("sleep", "",
                     [&](fiber::Waker waker) { fiber::ArmTimer(timer, deadline, waker); });
}

}  // namespace drpc::rt
