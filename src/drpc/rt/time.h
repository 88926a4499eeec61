// The runtime clock: steady wall time in the OS backend, virtual time in the
// simulator (starts at 0, advances only when no task can run).
//
//   rt::TimePoint deadline = rt::now() + std::chrono::milliseconds(100);
//   rt::sleep_until(deadline);
//
// See docs/rt.md.
#pragma once

#include <chrono>
#include <cstdint>

namespace drpc::rt {

struct Clock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static constexpr bool is_steady = true;
  static time_point now();
};

using Duration = Clock::duration;
using TimePoint = Clock::time_point;

inline TimePoint now() { return Clock::now(); }
// Scheduling point in the simulator; a timer there.
void sleep_until(TimePoint deadline);
inline void sleep_for(Duration d) { sleep_until(now() + d); }

// A deadline far enough away to mean "never".
inline constexpr TimePoint kNoDeadline = TimePoint::max();

}  // namespace drpc::rt
