// TCP connect with a deadline on the fiber backend (tcp.cc): rt::Connect
// honours its deadline through it. Internal to src/drpc/rt/fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "drpc/base/result.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"

namespace drpc::rt::fiber {

// As rt::os::TcpConnect; a connect still in progress at `deadline` fails
// with kDeadlineExceeded.
Result<std::unique_ptr<Transport>> TcpConnectUntil(const std::string& host, uint16_t port,
                                                   const os::TcpOptions& options,
                                                   TimePoint deadline);

}  // namespace drpc::rt::fiber
