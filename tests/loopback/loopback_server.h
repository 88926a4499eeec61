// LoopbackServer: an in-process rpc::Server on an ephemeral 127.0.0.1 port,
// with the handlers the loopback tests attack, a record of every
// connection's resource meter, and a HealthyClient that keeps calling it
// (it must be served throughout every attack).
//
//   LoopbackServer server(options);          // serving once constructed
//   HealthyClient healthy(server.port());    // calls Echo every 20 ms
//   AttackClient attacker = AttackClient::Connect(server.port());
//   ... attack, watch server.meter(1) ...
//   healthy.ExpectServed();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "drpc/base/resource_meter.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/time.h"
#include "tests/loopback/attack_client.h"

namespace drpc::loopback {

// The handlers (request and reply are raw bytes, rpc::BytesCodec):
inline constexpr char kEcho[] = "/loopback.Test/Echo";  // unary: the request back
// Client stream: waits until ReleaseSlow() (or its call ends), then reads
// every message; replies with how many it read.
inline constexpr char kSlow[] = "/loopback.Test/Slow";
// Unary: the request is a decimal byte count; replies that many bytes.
inline constexpr char kBig[] = "/loopback.Test/Big";
// Unary: returns only when its call ends (canceled, connection closed,
// server stopping): a call that holds its task.
inline constexpr char kStuck[] = "/loopback.Test/Stuck";

class LoopbackServer {
 public:
  explicit LoopbackServer(rpc::ServerOptions options = {});
  ~LoopbackServer();  // releases the slow handlers, Stop(0)
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  uint16_t port() const { return port_; }
  rpc::Server& server() { return *server_; }
  const rpc::ServerOptions& options() const { return options_; }

  // Connections the server has begun to serve (every one ever, in order).
  size_t connections_seen() const;
  // Waits until the server has begun to serve `n` connections; true if it
  // did by `deadline`.
  bool WaitConnectionsSeen(size_t n, Clock::time_point deadline) const;
  // The resource meter of the server's `index`th connection (0-based, in
  // the order it began serving them); it outlives the connection.
  std::shared_ptr<const ResourceMeter> meter(size_t index) const;

  // Lets every Slow handler (waiting or still to come) read.
  void ReleaseSlow() { (void)slow_gate_.set(OkStatus()); }

  // Stuck handlers running now, and the most that ever ran at once.
  int stuck_running() const { return stuck_running_.load(); }
  int stuck_peak() const { return stuck_peak_.load(); }

 private:
  void RegisterHandlers();

  rpc::ServerOptions options_;
  rpc::Mux mux_;
  rt::Signal slow_gate_{"loopback.slow_gate"};
  std::atomic<int> stuck_running_{0};
  std::atomic<int> stuck_peak_{0};
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<const ResourceMeter>> meters_;  // guarded by mu_
  uint16_t port_ = 0;
  std::unique_ptr<rpc::Server> server_;
};

// A well-behaved client on a connection of its own: calls Echo every
// `period` with a deadline of `call_timeout` until destroyed, recording
// every failure. Every attack test asserts it was served throughout.
class HealthyClient {
 public:
  explicit HealthyClient(uint16_t port, milliseconds period = milliseconds(20),
                         milliseconds call_timeout = milliseconds(2000));
  ~HealthyClient();  // Stop()
  HealthyClient(const HealthyClient&) = delete;
  HealthyClient& operator=(const HealthyClient&) = delete;

  // Waits until it has made `n` more successful calls; true if it did by
  // `deadline`.
  bool WaitCalls(int n, Clock::time_point deadline) const;
  void Stop();
  // At least one call succeeded and none failed.
  void ExpectServed();

  int calls_ok() const { return calls_ok_.load(); }

 private:
  void Run(uint16_t port);

  const milliseconds period_;
  const milliseconds call_timeout_;
  std::atomic<int> calls_ok_{0};
  mutable std::mutex mu_;
  std::vector<std::string> failures_;  // guarded by mu_
  rt::Signal stop_{"healthy.stop"};
  std::thread thread_;
};

// Samples a meter's total bytes every millisecond on a thread of its own and
// keeps the peak: what a connection held at its worst during an attack.
class PeakBytes {
 public:
  explicit PeakBytes(std::shared_ptr<const ResourceMeter> meter);
  ~PeakBytes();  // Stop()
  void Stop();
  int64_t peak() const { return peak_.load(); }
  // Set once the peak went over `limit` (the attack may stop early: the
  // test has failed already, and the process stays small).
  bool over(int64_t limit) const { return peak_.load() > limit; }

 private:
  std::shared_ptr<const ResourceMeter> meter_;
  std::atomic<int64_t> peak_{0};
  rt::Signal stop_{"peak_bytes.stop"};
  std::thread thread_;
};

// The connection timeouts of issue 13 (manager::ConnectionTimeouts,
// ManagerOptions::timeouts); zero = off.
struct TimeoutSettings {
  rt::Duration first_frame{};
  rt::Duration idle{};
  rt::Duration partial_frame{};
  rt::Duration write_stall{};
};
// Sets options.manager.timeouts. In a build that has no ConnectionTimeouts
// yet it sets nothing and returns false: the test then attacks a server
// without timeouts and fails, as it must until they exist.
bool SetTimeouts(rpc::ServerOptions& options, const TimeoutSettings& timeouts);

// Server options with a small per-connection budget, to keep the memory
// tests light.
rpc::ServerOptions SmallBudgetOptions(size_t max_bytes);

inline constexpr size_t kMiB = size_t{1} << 20;

}  // namespace drpc::loopback
