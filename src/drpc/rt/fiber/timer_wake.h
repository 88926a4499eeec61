// Arms a reactor timer that wakes a parked task at `deadline`. The timer is
// the caller's (on its stack); a timer destroyed before it fires completes
// its handler as cancelled, and the handler's Wake is then a late one that
// does nothing (scheduler.h). Internal to src/drpc/rt/fiber.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "drpc/rt/fiber/park.h"
#include "drpc/rt/time.h"

namespace drpc::rt::fiber {

inline std::chrono::steady_clock::time_point SteadyTime(TimePoint t) {
  return std::chrono::steady_clock::time_point(t.time_since_epoch());
}

inline void ArmTimer(boost::asio::steady_timer& timer, TimePoint deadline, Waker waker) {
  timer.expires_at(SteadyTime(deadline));
  timer.async_wait([waker](const boost::system::error_code&) { waker.Wake(); });
}

}  // namespace drpc::rt::fiber
