// The world's network (rt::Listen, rt::Connect) and its faults (world.h).
#include "sim/net/internal/world_state.h"

#include <algorithm>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/net.h"
#include "drpc/rt/time.h"
#include "sim/sched/fault_config.h"
#include "sim/sched/host_tag.h"
#include "sim/sched/run.h"

namespace drpc::sim::net::internal {
namespace {

constexpr uint64_t kLatencySteps = 16;  // [min, max] in 17 steps

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

// The World's own rate first (FaultOptions), then the run's configuration
// (fault_config.h): either fires the fault. Asks nothing for a kind both
// leave off, so runs without either draw the same tape as before.
bool Fires(uint64_t one_in, std::string_view kind) {
  if (one_in > 0 && sim::Choose(one_in, ChoiceKind::kFault) == 1) return true;
  return sim::FaultFires(kind);
}

bool AnyTickFault(const FaultOptions& faults) {
  const FaultConfig& config = sim::CurrentFaults();
  return faults.any_tick_fault() || config.OneIn("net.reset") > 0 ||
         config.OneIn("net.half-open") > 0 || config.OneIn("net.partition") > 0 ||
         config.OneIn("net.crash") > 0;
}

WorldState::WorldState(WorldOptions world_options) : options(world_options) {}

bool WorldState::Cut(HostId a, HostId b) const {
  const int side_a = hosts[a - 1].partition_side;
  const int side_b = hosts[b - 1].partition_side;
  return side_a != 0 && side_b != 0 && side_a != side_b;
}

Nanos WorldState::DrawLatency() {
  const LinkOptions& link = options.link;
  if (link.tail_one_in > 0 && sim::Choose(link.tail_one_in, ChoiceKind::kNet) == 1) {
    return link.tail_latency.count();
  }
  const Nanos span = (link.max_latency - link.min_latency).count();
  if (span == 0) return link.min_latency.count();
  const uint64_t step = sim::Choose(kLatencySteps + 1, ChoiceKind::kNet);
  return link.min_latency.count() +
         static_cast<Nanos>(static_cast<__int128>(span) * static_cast<__int128>(step) /
                            static_cast<__int128>(kLatencySteps));
}

HostId WorldState::FindHost(std::string_view name) const {
  for (size_t i = 0; i < hosts.size(); ++i) {
    if (hosts[i].name == name) return static_cast<HostId>(i + 1);
  }
  return 0;
}

HostId WorldState::Caller() {
  const uint32_t tag = CurrentHost();
  if (tag != kNoHost) return tag;
  // A task on no host (main, a test's own tasks) is the outside world.
  if (HostId outside = FindHost("outside"); outside != 0) return outside;
  Host outside_world;
  outside_world.name = "outside";
  hosts.push_back(std::move(outside_world));
  return static_cast<HostId>(hosts.size());
}

// ---------------------------------------------------------------- listen

HostListener::~HostListener() {
  rt::LockGuard guard(world_->mu);
  if (registered_) world_->listeners.erase({host_, port_});
  registered_ = false;
}

Result<std::unique_ptr<rt::Transport>> HostListener::Accept() {
  // The configuration's accept errors (the World's own are the inner
  // listener's accept_error_one_in). Off, not even the lock is taken, so
  // runs without them keep their traces.
  bool on = sim::CurrentFaults().OneIn("net.accept-error") > 0;
  if (on) {
    rt::LockGuard guard(world_->mu);
    on = world_->faults_on && registered_;
  }
  if (on && sim::FaultFires("net.accept-error")) {
    return ResourceExhaustedError("accept sim: too many open files (injected)");
  }
  return inner_.Accept();
}

Status HostListener::Close() {
  (void)inner_.Close();
  rt::LockGuard guard(world_->mu);
  if (registered_) world_->listeners.erase({host_, port_});
  registered_ = false;
  return OkStatus();
}

Result<std::unique_ptr<rt::Listener>> WorldState::Listen(std::string_view address) {
  Result<rt::HostPort> parsed = rt::ParseAddress(address);
  if (!parsed.ok()) return parsed.status();
  rt::LockGuard guard(mu);
  const HostId host = FindHost(parsed->host);
  if (host == 0) return InvalidArgumentError("listen " + Quote(address) + ": no such host");
  const uint32_t tag = CurrentHost();
  if (tag != kNoHost && tag != host) {
    return InvalidArgumentError("listen " + Quote(address) + ": a task on host " +
                                Quote(hosts[tag - 1].name) + " listens on its own host only");
  }
  if (!hosts[host - 1].up) return ConnectionError("listen " + Quote(address) + ": host is down");
  if (listeners.count({host, parsed->port}) != 0) {
    return ConnectionError("listen " + Quote(address) + ": address already in use");
  }
  ListenerOptions listener_options;
  listener_options.backlog = options.backlog;
  listener_options.accept_error_one_in = options.faults.accept_error_one_in;
  auto listener =
      std::make_unique<HostListener>(shared_from_this(), host, parsed->port, listener_options);
  listeners[{host, parsed->port}] = listener.get();
  return std::unique_ptr<rt::Listener>(std::move(listener));
}

// ---------------------------------------------------------------- connect

Result<std::unique_ptr<rt::Transport>> WorldState::Connect(std::string_view address,
                                                           rt::TimePoint deadline) {
  Result<rt::HostPort> parsed = rt::ParseAddress(address);
  if (!parsed.ok()) return parsed.status();
  HostId me = 0;
  HostId target = 0;
  {
    rt::Lock lock(mu);
    me = Caller();
    if (!hosts[me - 1].up) return ConnectionError("connect " + Quote(address) + ": host is down");
    target = FindHost(parsed->host);
    if (target == 0) return ConnectionError("connect " + Quote(address) + ": unknown host");
    ++stats.connects;
    if (faults_on && Fires(options.faults.refuse_one_in, "net.refused")) {
      ++stats.refused;
      return ConnectionError("connect " + Quote(address) + ": connection refused (injected)");
    }
    // Across a cut, or to a host that is down, the handshake goes nowhere
    // until the heal or restart, or the deadline.
    const bool reachable = changed.wait_until(
        lock, deadline, [&] { return !Cut(me, target) && hosts[target - 1].up; },
        "world: connect waits for its peer to be reachable");
    if (!reachable) {
      ++stats.timed_out;
      return DeadlineExceededError("connect " + Quote(address) + ": timed out");
    }
  }
  // The handshake takes one trip.
  const rt::TimePoint arrival = rt::now() + rt::Duration(DrawLatency());
  if (arrival > deadline) {
    if (deadline > rt::now()) rt::sleep_until(deadline);
    rt::LockGuard guard(mu);
    ++stats.timed_out;
    return DeadlineExceededError("connect " + Quote(address) + ": timed out");
  }
  rt::sleep_until(arrival);
  rt::LockGuard guard(mu);
  auto it = listeners.find({target, parsed->port});
  if (it == listeners.end() || !hosts[target - 1].up) {
    ++stats.refused;
    return ConnectionError("connect " + Quote(address) + ": connection refused");
  }
  PipeOptions pipe;
  pipe.capacity_bytes = options.link.buffer_bytes;
  pipe.chosen_reads = options.link.chosen_reads;
  pipe.timing = std::make_shared<Link>(shared_from_this(), me, target);
  pipe.keepalive = options.link.keepalive.count();
  Result<Dialed> dialed = it->second->inner().Dial(pipe);
  if (!dialed.ok()) {
    ++stats.refused;
    return ConnectionError("connect " + Quote(address) + ": " + dialed.status().message());
  }
  if (faults_on && Fires(options.faults.slow_reader_one_in, "net.slow-reader")) {
    const int end = static_cast<int>(sim::Choose(2, ChoiceKind::kFault));
    dialed->pipe->SetSlowReader(end, options.faults.slow_read_delay.count(),
                                options.faults.slow_read_bytes);
    ++stats.slow_readers;
  }
  connections.push_back(Connection{
      dialed->pipe, {me, target}, {hosts[me - 1].incarnation, hosts[target - 1].incarnation}});
  return std::move(dialed->transport);
}

// ---------------------------------------------------------------- faults

void WorldState::ResetBetween(HostId a, HostId b) {
  rt::LockGuard guard(mu);
  for (Connection& c : connections) {
    if ((c.host[0] == a && c.host[1] == b) || (c.host[0] == b && c.host[1] == a)) {
      c.pipe->Reset();
      ++stats.resets;
    }
  }
}

void WorldState::VanishBetween(HostId host, HostId peer) {
  rt::LockGuard guard(mu);
  for (Connection& c : connections) {
    for (int end = 0; end < 2; ++end) {
      if (c.host[end] == host && c.host[1 - end] == peer) {
        c.pipe->Vanish(end);
        ++stats.half_opens;
      }
    }
  }
}

void WorldState::Crash(HostId host) {
  DRPC_ASSERT(CurrentHost() != host, "a host cannot crash itself (call Crash from elsewhere)");
  rt::LockGuard guard(mu);
  if (!hosts.at(host - 1).up) return;
  // The tasks first, in this step: none of them sees the world's part of
  // the crash (a task inside a critical section finishes it and dies as it
  // releases the lock).
  (void)sim::KillHost(host);
  (void)CrashLocked(host);
}

bool WorldState::CrashLocked(HostId host) {
  Host& h = hosts.at(host - 1);
  if (!h.up) return false;
  h.up = false;
  ++stats.crashes;
  // Its connections go silent: no FIN, no RST.
  for (Connection& c : connections) {
    for (int end = 0; end < 2; ++end) {
      if (c.host[end] == host && c.incarnation[end] == h.incarnation) c.pipe->Vanish(end);
    }
  }
  // Its listeners close (a pending Accept fails with kClosed).
  for (auto it = listeners.begin(); it != listeners.end();) {
    if (it->first.first != host) {
      ++it;
      continue;
    }
    (void)it->second->inner().Close();
    it->second->registered_ = false;
    it = listeners.erase(it);
  }
  return true;
}

void WorldState::StartProgram(HostId host) {
  rt::Task previous;
  Program program;
  std::string name;
  {
    rt::LockGuard guard(mu);
    Host& h = hosts.at(host - 1);
    if (!h.program || stopping) return;
    previous = std::move(h.program_task);
    program = h.program;
    name = h.program_name;
  }
  if (previous.joinable()) previous.join();  // killed by the crash: at once
  // Checked and started in one critical section: a Crash between a Restart
  // and here would otherwise start the program on a host that is down (its
  // next Restart starts it).
  rt::LockGuard guard(mu);
  if (!hosts.at(host - 1).up || stopping) return;
  hosts.at(host - 1).program_task = OnHost(host, [&] {
    return rt::spawn(name, [this, program = std::move(program)] {
      Lifetime life(*this);
      program(life);
    });
  });
}

bool WorldState::RestartLocked(HostId host) {
  Host& h = hosts.at(host - 1);
  if (h.up) return false;
  // The new incarnation answers the old connections' bytes with a reset.
  for (Connection& c : connections) {
    for (int end = 0; end < 2; ++end) {
      if (c.host[end] == host && c.incarnation[end] == h.incarnation) c.pipe->Reset();
    }
  }
  ++h.incarnation;
  h.up = true;
  changed.notify_all();
  return true;
}

void WorldState::Restart(HostId host) {
  {
    rt::LockGuard guard(mu);
    if (!RestartLocked(host)) return;
  }
  StartProgram(host);
}

void WorldState::Heal() {
  rt::LockGuard guard(mu);
  for (Host& h : hosts) h.partition_side = 0;
  changed.notify_all();
  for (Connection& c : connections) c.pipe->Poke();  // held bytes may now arrive
}

void WorldState::RunFaults() {
  const FaultOptions& faults = options.faults;
  const rt::TimePoint end = rt::now() + faults.until;
  bool partitioned = false;
  HostId crashed = 0;
  for (;;) {
    const rt::TimePoint next = rt::now() + faults.tick;
    bool over = next > end;
    if (!over) {
      rt::Lock lock(mu);
      (void)changed.wait_until(
          lock, next, [&] { return stopping || !faults_on; }, "world.faults: waits for a tick");
      over = stopping || !faults_on;
    }
    if (over) {
      // The fault period ends with what it broke mended.
      if (partitioned) Heal();
      if (crashed != 0) Restart(crashed);
      return;
    }
    if (partitioned) {
      Heal();
      partitioned = false;
    } else if (Fires(faults.partition_one_in, "net.partition")) {
      rt::LockGuard guard(mu);
      for (Host& h : hosts) h.partition_side = 1 + static_cast<int>(Choose(2, ChoiceKind::kFault));
      ++stats.partitions;
      partitioned = true;
    }
    if (crashed != 0) {
      Restart(crashed);
      crashed = 0;
    } else if (Fires(faults.crash_one_in, "net.crash")) {
      // Only a host with a program crashes: a restart brings it back.
      std::vector<HostId> candidates;
      {
        rt::LockGuard guard(mu);
        for (size_t i = 0; i < hosts.size(); ++i) {
          if (hosts[i].program) candidates.push_back(static_cast<HostId>(i + 1));
        }
      }
      if (!candidates.empty()) {
        crashed = candidates[sim::Choose(candidates.size(), ChoiceKind::kFault)];
        Crash(crashed);
      }
    }
    if (Fires(faults.reset_one_in, "net.reset")) {
      rt::LockGuard guard(mu);
      if (!connections.empty()) {
        connections[sim::Choose(connections.size(), ChoiceKind::kFault)].pipe->Reset();
        ++stats.resets;
      }
    }
    if (Fires(faults.half_open_one_in, "net.half-open")) {
      rt::LockGuard guard(mu);
      if (!connections.empty()) {
        Connection& c = connections[sim::Choose(connections.size(), ChoiceKind::kFault)];
        c.pipe->Vanish(static_cast<int>(sim::Choose(2, ChoiceKind::kFault)));
        ++stats.half_opens;
      }
    }
  }
}

}  // namespace drpc::sim::net::internal
