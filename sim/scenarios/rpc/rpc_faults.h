// The faults of the rpc scenario's safety phase that keep firing until the
// liveness phase heals them: transient accept errors (EMFILE), injected in
// front of the sim listener. (The one-shot events, a reset, a client Close
// or a server Stop, happen in the safety phase and stay happened.) Heal is
// the one call that turns them all off, as a richer world's would
// (sim/liveness/liveness.h).
#pragma once

#include <cstdint>
#include <memory>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/transport.h"

namespace drpc::sim::rpcsim {

// With accept_error_one_in = N > 0, each Accept asks sim::Choose(N, kFault)
// and a 1 fails it with a temporary error (kResourceExhausted), until Heal.
class FaultyListener final : public rt::Listener {
 public:
  FaultyListener(rt::Listener& inner, uint64_t accept_error_one_in)
      : inner_(inner), accept_error_one_in_(accept_error_one_in) {}

  Result<std::unique_ptr<rt::Transport>> Accept() override;
  Status Close() override;

  // No new faults from now on.
  void Heal() { healed_ = true; }
  uint64_t injected() const { return injected_; }

 private:
  rt::Listener& inner_;
  const uint64_t accept_error_one_in_;
  // Tasks of one run share one thread: plain fields, no steps added.
  bool healed_ = false;
  bool closed_ = false;
  uint64_t injected_ = 0;
};

}  // namespace drpc::sim::rpcsim
