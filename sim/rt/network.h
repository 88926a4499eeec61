// Where rt::Listen and rt::Connect (drpc/rt/net.h) go in the simulator: the
// network installed for the current run, if any. The world of sim/net
// installs itself (sim/net/world.h); without one, both fail with a clear
// error. The network knows the calling task's host from its host tag
// (sim/sched/host_tag.h).
#pragma once

#include <memory>
#include <string_view>

#include "drpc/base/result.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"

namespace drpc::sim {

class Network {
 public:
  virtual ~Network() = default;
  virtual Result<std::unique_ptr<rt::Listener>> Listen(std::string_view address) = 0;
  virtual Result<std::unique_ptr<rt::Transport>> Connect(std::string_view address,
                                                         rt::TimePoint deadline) = 0;
};

// Installs `network` for the current run (null: none). Inside a run only;
// the installation ends with the run, so a network abandoned by a failed
// run is never reached by a later one.
void InstallNetwork(Network* network);
// The network installed for the current run, or null.
Network* InstalledNetwork();

}  // namespace drpc::sim
