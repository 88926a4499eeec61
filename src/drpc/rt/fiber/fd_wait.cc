// The descriptor is registered with the reactor for the one wait. asio's
// readiness wait is edge-triggered and does not look at the descriptor
// first, so readiness present when it is armed would be missed: after
// arming, one poll(2) with no timeout checks for it and wakes the task
// itself. Only rare waits come here (accept, connect); transports keep a
// registration and wait on their reads and writes (socket_transport.cc).
#include "drpc/rt/fiber/fd_wait.h"

#include <errno.h>  // E* constants
#include <poll.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <optional>

#include "drpc/rt/fiber/last_errno.h"
#include "drpc/rt/fiber/park.h"
#include "drpc/rt/fiber/timer_wake.h"

namespace drpc::rt::fiber {
namespace {

bool ReadyNow(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0;
}

// A plain thread may block: poll until ready or the deadline.
bool PollUntil(int fd, short events, TimePoint deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline != kNoDeadline) {
      const auto left = deadline - now();
      if (left <= Duration::zero()) return ReadyNow(fd, events);
      timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
    }
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, timeout_ms);
    if (rc > 0) return true;
    if (rc < 0 && LastErrno() != EINTR) return true;  // let the caller's call report it
  }
}

}  // namespace

bool WaitFd(int fd, short events, TimePoint deadline, const char* label) {
  if (!OnFiber()) return PollUntil(fd, events, deadline);
  if (ReadyNow(fd, events)) return true;
  boost::asio::posix::stream_descriptor descriptor(Io());
  boost::system::error_code ec;
  descriptor.assign(fd, ec);
  if (ec) {
    // Not registrable (already registered elsewhere): wait a little and let
    // the caller try again.
    rt::sleep_until(std::min(deadline, now() + std::chrono::milliseconds(1)));
    return ReadyNow(fd, events);
  }
  std::optional<boost::asio::steady_timer> timer;
  if (deadline != kNoDeadline) timer.emplace(Io());
  const auto wait = (events & POLLOUT) != 0 ? boost::asio::posix::descriptor_base::wait_write
                                            : boost::asio::posix::descriptor_base::wait_read;
  ParkLabeled(label, "", [&](Waker waker) {
    descriptor.async_wait(wait, [waker](const boost::system::error_code&) { waker.Wake(); });
    if (timer) ArmTimer(*timer, deadline, waker);
    if (ReadyNow(fd, events)) waker.Wake();
  });
  // Ends the registration without closing the descriptor; a wait still
  // pending completes as cancelled and its late Wake does nothing.
  (void)descriptor.release();
  timer.reset();
  return ReadyNow(fd, events) || deadline == kNoDeadline || now() < deadline;
}

}  // namespace drpc::rt::fiber
