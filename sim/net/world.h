// A simulated world: named hosts joined by links with latency, bandwidth and
// bounded buffers, and faults drawn from the choice tape. Code on a host
// listens and connects through rt::Listen / rt::Connect (drpc/rt/net.h), so
// rpc::Server and rpc::Conn run on it unchanged. docs/sim-world.md.
//
//   sim::Run(decisions, {}, [] {
//     sim::net::World world({.link = {.min_latency = 1ms, .max_latency = 5ms},
//                            .faults = {.partition_one_in = 20, .crash_one_in = 50}});
//     sim::net::HostId server = world.AddHost("server");
//     sim::net::HostId client = world.AddHost("client");
//     rpc::Mux mux;  // the user's handlers
//     world.Boot(server, "server", [&](sim::net::Lifetime& life) {  // again at each restart
//       rpc::Server rpc_server(mux);
//       (void)rpc_server.Start(std::move(*rt::Listen("server:80")));
//       life.WaitForShutdown();
//       rpc_server.Stop(0ms);
//     });
//     rt::Task calls = world.Spawn(client, "calls", [&] {
//       Result<rpc::Conn> conn = sim::net::Dial("server:80", rt::now() + 1s);
//       ... calls; or world.Partition({client}, {server}); ... world.Heal(); ...
//     });
//     calls.join();
//     world.Shutdown();
//   });
//
// Rules:
//   * Make the World inside the run's body, before the objects that use it
//     (a task's host is a tag the scheduler keeps, sim/sched/host_tag.h);
//     one World per run. It is the network of rt::Listen / rt::Connect for
//     the run while it lives.
//   * A task started by World::Spawn runs on that host, as does every task
//     it spawns. It listens on its own host's name ("server:80"); main (no
//     host) may listen on any host's name and connects as host "outside".
//   * Faults are both drawn (FaultOptions, sim::Choose kFault: the tape
//     decides; 0 off) and callable (the methods below).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/result.h"
#include "drpc/base/unique_function.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"

namespace drpc::sim::net {

using HostId = uint32_t;  // 1, 2, ... in AddHost order

struct LinkOptions {
  // Each write's bytes arrive after a latency drawn in [min, max] (17 steps,
  // kNet; choice 0 = min), or with probability 1/tail_one_in after
  // tail_latency (kNet). Order is kept either way.
  rt::Duration min_latency = std::chrono::microseconds(100);
  rt::Duration max_latency = std::chrono::microseconds(100);
  uint64_t tail_one_in = 0;
  rt::Duration tail_latency = std::chrono::milliseconds(200);
  uint64_t bytes_per_second = 0;    // per direction; 0: no limit
  size_t buffer_bytes = 64 * 1024;  // per direction, in flight + unread
  bool chosen_reads = true;         // reads return a chosen split (kNet)
  // TCP keepalive (with TCP_USER_TIMEOUT) on both ends of every connection:
  // an end learns that its peer vanished (half-open, a crashed host) this
  // long after, and its reads and writes then fail with kConnection
  // "connection timed out" (sim/net/pipe.h). 0: off, the end waits
  // forever. The default is what the OS backend's defaults give
  // (drpc/rt/os/tcp.h: about a minute).
  rt::Duration keepalive = std::chrono::seconds(60);
};

struct FaultOptions {
  // Drawn at every tick of the world's fault task (every `tick` of virtual
  // time until `until`, while the world lives), each with probability 1/N
  // (0: never; N >= 2, as a choice of one option is never asked): a live
  // connection resets; one end of a connection vanishes (half-open); a
  // partition into two drawn groups (healed at the next tick); a host with
  // a program (World::Boot) crashes (restarted at the next tick). When the
  // period ends, what it broke is mended.
  //
  // The run's fault configuration (sim/sched/fault_config.h: --faults,
  // --swarm) adds to these: each fault below also fires when its kind is on
  // in the configuration ("net.reset", "net.half-open", "net.partition",
  // "net.crash", "net.refused", "net.slow-reader", "net.accept-error"), at
  // the configured rate, asked after the rate here. Either one fires it; a
  // kind off in both asks nothing.
  rt::Duration tick = std::chrono::milliseconds(10);
  rt::Duration until = std::chrono::seconds(1);
  uint64_t reset_one_in = 0;
  uint64_t half_open_one_in = 0;
  uint64_t partition_one_in = 0;
  uint64_t crash_one_in = 0;
  // Per connect / per new connection / per Accept.
  uint64_t refuse_one_in = 0;        // a connect is refused
  uint64_t slow_reader_one_in = 0;   // one end of the connection reads slowly
  uint64_t accept_error_one_in = 0;  // an Accept fails with "too many open files"
  rt::Duration slow_read_delay = std::chrono::milliseconds(5);
  size_t slow_read_bytes = 16;

  bool any_tick_fault() const {
    return reset_one_in + half_open_one_in + partition_one_in + crash_one_in > 0;
  }
};

struct WorldOptions {
  LinkOptions link{};
  FaultOptions faults{};
  size_t backlog = 64;  // per listener: connections waiting for Accept
};

struct WorldStats {
  uint64_t connects = 0;
  uint64_t refused = 0;
  uint64_t timed_out = 0;
  uint64_t resets = 0;
  uint64_t half_opens = 0;
  uint64_t partitions = 0;
  uint64_t crashes = 0;
  uint64_t slow_readers = 0;
};

namespace internal {
struct WorldState;
}

// What a host's program (World::Boot) is told: that the world is ending.
class Lifetime {
 public:
  explicit Lifetime(internal::WorldState& world) : world_(world) {}
  // Blocks until World::Shutdown (or ~World).
  void WaitForShutdown();
  bool shutting_down() const;

 private:
  internal::WorldState& world_;
};
using Program = std::function<void(Lifetime&)>;

class World {
 public:
  explicit World(WorldOptions options = {});
  // Stops the fault task and uninstalls the world; connections still open
  // keep working as plain pipes.
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  HostId AddHost(std::string name);
  const std::string& name(HostId host) const;
  // Starts a task on `host` (it and the tasks it spawns run there).
  rt::Task Spawn(HostId host, std::string name, UniqueFunction<void()> body);
  // The host's program: runs now as a task on `host`, and again after every
  // Restart. Keep a server's state on the program's own stack: a Crash
  // kills the program and every task of the host where they stand.
  void Boot(HostId host, std::string name, Program program);
  // Tells every program to end (Lifetime::WaitForShutdown returns) and
  // joins them. ~World does it too.
  void Shutdown();

  // ---- faults a test calls directly
  // Resets every connection between hosts a and b (both ends fail).
  void Reset(HostId a, HostId b);
  // The `host` end of every connection between a and host vanishes: the
  // other end hears nothing (reads block, writes fill the buffer).
  void HalfOpen(HostId host, HostId peer);
  // The `host` end of every connection between host and peer reads slowly
  // (FaultOptions::slow_read_delay before each read, at most
  // slow_read_bytes a read).
  void SlowReader(HostId host, HostId peer);
  // Cuts every link between a host of `a` and a host of `b`: bytes wait,
  // connects wait (until their deadline). Heal ends every cut.
  void Partition(const std::vector<HostId>& a, const std::vector<HostId>& b);
  void Heal();
  // The host goes down: its listeners close, its connections go silent
  // (peers see half-open), and every task on it is killed where it stands
  // (sim::KillHost: never resumed, nothing unwound; a task holding an rt
  // mutex dies as soon as it holds none). The caller must not be on it.
  void Crash(HostId host);
  // The host is up again and may listen on the same addresses; connections
  // of the crashed incarnation reset (its peers learn it was restarted);
  // its program (Boot), if any, runs again.
  void Restart(HostId host);
  // Stops drawn faults, heals every partition and restarts every crashed
  // host: what a liveness phase starts with.
  void HealAll();

  WorldStats stats() const;

 private:
  std::shared_ptr<internal::WorldState> state_;
  rt::Task faults_;
};

// rt::Connect, then an rpc::Conn on the connection.
Result<rpc::Conn> Dial(std::string_view address, rt::TimePoint deadline = rt::kNoDeadline,
                       rpc::ConnOptions options = {});

}  // namespace drpc::sim::net
