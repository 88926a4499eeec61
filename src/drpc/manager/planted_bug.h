// Planted manager bugs: test-only variants that prove the simulator's
// checkers catch each one (sim/scenarios/manager_scenarios.cc). Production
// uses ManagerBug::kNone; every planted branch is an `if constexpr` on the
// policy, so release builds compile none of it.
#pragma once

#include <cstdint>
#include <string_view>

namespace drpc::manager {

enum class ManagerBug : uint8_t {
  kNone,
  // When a finished stream leaves the registry, the manager parks it in a
  // list it never frees, so the receive buffers still queued in its ring
  // never go back to the pool (a leak the ledger reports at teardown).
  kLeakDroppedStreams,
  // Close counts a stream as done once it is terminated instead of once it
  // is finished, so it returns while a receive is still in flight and that
  // stream finishes after Close (a use of the connection after Close).
  kCloseWaitsForTermOnly,
  // The registry takes a stream after it was closed: terminate never
  // cancels it, so it never finishes and Close waits forever.
  kRegisterAfterClose,
  // The reader drops a non-final frame of a Message when it follows another
  // stream's frame: the fork's old bug of a reader that reset a partial
  // packet when frames of two streams interleaved (drpc-protocol.md §8).
  // Messages arrive silently corrupted (the per-stream prefix check).
  kDropInterleavedFrame,
};
std::string_view ManagerBugName(ManagerBug bug);

template <ManagerBug kBugValue = ManagerBug::kNone>
struct ManagerPolicy {
  static constexpr ManagerBug kBug = kBugValue;
};

}  // namespace drpc::manager
