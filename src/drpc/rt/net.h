// Listening and connecting by address, on either backend: TCP in the OS
// backend, the simulated world of the current run in the simulator
// (sim/net/world.h). Code written on these two runs unchanged on both.
//
//   Result<std::unique_ptr<rt::Listener>> l = rt::Listen("0.0.0.0:8080");
//   Result<std::unique_ptr<rt::Transport>> t =
//       rt::Connect("server:8080", rt::now() + std::chrono::seconds(1));
//
// An address is "host:port" (the port in 0..65535; "[::1]:80" for IPv6 in
// the OS backend). In the simulator the host names a host of the world, and
// the calling task's host is the one that listens or connects.
//
// Errors: a malformed address is kInvalidArgument; a refused connection is
// kConnection; a connect that has not completed by `deadline` fails with
// kDeadlineExceeded (the thread backend ignores the deadline: the kernel's
// own connect timeout applies); listening on an address in use is kConnection.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "drpc/base/result.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"

namespace drpc::rt {

Result<std::unique_ptr<Listener>> Listen(std::string_view address);
Result<std::unique_ptr<Transport>> Connect(std::string_view address,
                                           TimePoint deadline = kNoDeadline);

// "host:port" split into its parts (brackets around an IPv6 host removed).
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseAddress(std::string_view address);

}  // namespace drpc::rt
