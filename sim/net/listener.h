// The simulated network's listener: an rt::Listener whose connections are
// sim pipes (pipe.h), so the RPC server's accept loop runs in the
// simulator unchanged.
//
//   sim::net::Listener listener({.pipe = {.capacity_bytes = 4096}});
//   rt::Task serving = rt::spawn("serve", [&] { (void)server.Serve(listener); });
//   Result<sim::net::Dialed> c = listener.Dial();     // client side
//   rpc::Conn conn(std::move(c->transport));
//   c->pipe->Reset();                                 // fault: the peer vanishes
//
//   * Dial makes a pipe, queues one end for Accept and returns the other at
//     once (like a TCP connect that completes in the kernel's backlog). It
//     fails with kConnection "connection refused" once the listener is
//     closed, or while `backlog` connections wait to be accepted.
//   * Accept blocks until a connection is queued or the listener is closed
//     (then kClosed). With accept_error_one_in = N > 0, each Accept asks
//     sim::Choose(N, kFault) and a 1 fails it with a temporary error
//     (kResourceExhausted, "too many open files"), as EMFILE does.
//   * Close wakes a pending Accept; connections still queued are closed (the
//     dialer reads EOF), as a closed listening socket resets its backlog.
// Built on rt primitives (one mutex, one condition variable): every call is
// a scheduling point. Simulator only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/transport.h"
#include "sim/net/pipe.h"

namespace drpc::sim::net {

struct ListenerOptions {
  PipeOptions pipe{};                // every connection's pipe
  size_t backlog = 64;               // dialed connections waiting for Accept, at most
  uint64_t accept_error_one_in = 0;  // 0: Accept never fails on its own
};

// The client's end of a dialed connection, and the pipe for faults.
struct Dialed {
  std::unique_ptr<rt::Transport> transport;
  std::shared_ptr<Pipe> pipe;
};

class Listener final : public rt::Listener {
 public:
  explicit Listener(ListenerOptions options = {});
  ~Listener() override;
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  Result<Dialed> Dial();
  // Dial with this connection's own pipe options (the world's links).
  Result<Dialed> Dial(const PipeOptions& pipe);
  Result<std::unique_ptr<rt::Transport>> Accept() override;
  Status Close() override;

  uint64_t dialed() const;
  uint64_t accept_errors_injected() const;

 private:
  const ListenerOptions options_;
  mutable rt::Mutex mu_;
  rt::CondVar ready_;    // a connection was queued, or the listener closed
  bool closed_ = false;  // guarded by mu_
  std::deque<std::unique_ptr<rt::Transport>> backlog_;  // guarded by mu_
  uint64_t dialed_ = 0;                                 // guarded by mu_
  uint64_t injected_ = 0;                               // guarded by mu_
};

}  // namespace drpc::sim::net
