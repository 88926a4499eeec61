// A deadline for waits that must end because of a notification or a set,
// never by timing out. Timed predicate waits return the predicate as of the
// deadline, so a lost wakeup would still "succeed", only late; Missed() tells
// the two apart. The margin is so large that only a lost wakeup (or a hung
// machine) reaches it: this is a liveness check, not a speed assertion.
#pragma once

#include <chrono>

#include "drpc/rt/time.h"

namespace drpc::rt::testing {

class WakeupDeadline {
 public:
  explicit WakeupDeadline(Duration margin = std::chrono::seconds(30)) : at_(now() + margin) {}
  TimePoint at() const { return at_; }
  bool Missed() const { return now() >= at_; }

 private:
  TimePoint at_;
};

}  // namespace drpc::rt::testing
