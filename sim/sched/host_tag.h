// The host a simulated task runs on: a small number the scheduler keeps per
// fiber and nothing else interprets. The simulated world (sim/net/world.h)
// gives each host a tag, starts a host's tasks with it, and asks the tag of
// the calling task when it listens or connects.
//
//   sim::SetCurrentHost(2);                  // this task now runs on host 2
//   rt::Task t = rt::spawn("worker", ...);   // so does every task it spawns
//
// Tag 0 means "no host" (main, and every task of a run without a world).
// A task's tag is fixed when it is spawned (its spawner's tag) and changes
// only by SetCurrentHost; neither is a scheduling point.
#pragma once

#include <cstdint>

namespace drpc::sim {

inline constexpr uint32_t kNoHost = 0;

// The calling task's host tag. Inside a run only.
uint32_t CurrentHost();
// Moves the calling task to `host`. Inside a run only.
void SetCurrentHost(uint32_t host);

// Kills every task on `host` (a host crash): each never runs again, a join
// of it returns, and it does not count as blocked (or live) at the end of
// the run. A task inside a critical section (running, runnable with an
// rt::Mutex held, or taking a further one) dies as it releases the last one
// it holds, so no critical section is cut short (a task it starts meanwhile
// dies at its first step); the caller, if on `host`, at its next scheduling
// point. A task parked on a condition or a timer dies at once, with the
// locks it holds (its host's own: shared layers release theirs to wait; it
// would otherwise stay parked for ever). Whatever the
// killed tasks owned is left as it was (never destroyed): state they shared
// with other hosts must be state a real crash would leave (sim/net/world.h
// keeps each host's program on its own tasks). Returns how many died now.
uint32_t KillHost(uint32_t host);

// Runs `body` with the calling task moved to `host`, then moves it back:
// how the world spawns a task on a host (rt::spawn inherits the tag).
template <typename Body>
decltype(auto) OnHost(uint32_t host, Body&& body) {
  struct Restore {
    uint32_t previous;
    ~Restore() { SetCurrentHost(previous); }
  } restore{CurrentHost()};
  SetCurrentHost(host);
  return body();
}

}  // namespace drpc::sim
