#include "sim/scenarios/hostile/timeout_scenarios.h"

#include <chrono>
#include <string>
#include <utility>

#include "drpc/base/buffer.h"
#include "drpc/manager/timeouts.h"
#include "drpc/rt/rt.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/scenarios/hostile/hostile_fixed.h"
#include "sim/scenarios/hostile/hostile_world.h"
#include "sim/scenarios/rpc/rpc_handlers.h"

namespace drpc::sim::hostile {
namespace {

using peers::Behaviour;
using peers::BehaviourSet;
using peers::Reads;
using std::chrono::milliseconds;
using std::chrono::seconds;

// How far around a timeout the checks look: the connection must still be
// held this long before it and be closed this long after it.
constexpr rt::Duration kSlack = seconds(1);
const manager::ConnectionTimeouts kDefaults{};

int64_t Sec(rt::Duration d) { return std::chrono::duration_cast<seconds>(d).count(); }

peers::PeerOptions OnePeer(Behaviour behaviour, Reads reads) {
  peers::PeerOptions options;
  options.behaviours = BehaviourSet().Add(behaviour);
  options.max_actions = 1;
  options.reads = reads;
  return options;
}

// `closed()` must be false at `start + timeout - kSlack` and true at
// `start + timeout + kSlack`.
template <class Closed>
void ExpectClosedAround(rt::TimePoint start, rt::Duration timeout, const std::string& what,
                        Closed closed) {
  rt::sleep_until(start + timeout - kSlack);
  if (closed()) {
    CheckFailed(what + " was closed before its timeout (" + std::to_string(Sec(timeout)) + " s)");
  }
  rt::sleep_until(start + timeout + kSlack);
  if (!closed()) {
    CheckFailed(what + " is still held " + std::to_string(Sec(timeout + kSlack)) +
                " s after it began, past its timeout of " + std::to_string(Sec(timeout)) + " s");
  }
}

// One byte of a call per virtual second: the frame never completes.
void Slowloris() {
  PoolLedger ledger;
  {
    HostileWorld world(ledger, WorldOptions{});
    peers::PeerOptions options = OnePeer(Behaviour::kSlowloris, Reads::kAlways);
    options.slowloris_bytes = 1000;
    // The call's Invoke frame completes, a byte a period, and the
    // Message frame after it never does: its timer runs from its first byte.
    Buffer invoke;
    wire::AppendFrame(invoke, wire::Frame{.stream_id = 1,
                                          .message_id = 1,
                                          .kind = wire::ToRaw(wire::Kind::kInvoke),
                                          .done = true,
                                          .data = AsBytes(options.rpc)});
    const rt::TimePoint start =
        rt::now() + options.slowloris_period * static_cast<int64_t>(invoke.size());
    const peers::HostilePeer& peer = world.AddPeer(std::move(options));
    ExpectClosedAround(start, kDefaults.partial_frame, "a slowloris connection",
                       [&] { return peer.read_ended(); });
    world.Shutdown(milliseconds(0));
  }
  ledger.CheckAllReturned();
}

// A connection that never sends a byte; then a client that calls once and
// goes quiet.
void Idle() {
  PoolLedger ledger;
  {
    HostileWorld world(ledger, WorldOptions{});
    peers::PeerOptions options = OnePeer(Behaviour::kIdle, Reads::kAlways);
    options.max_idle = seconds(1000);
    rt::TimePoint start = rt::now();
    const peers::HostilePeer& peer = world.AddPeer(std::move(options));
    ExpectClosedAround(start, kDefaults.first_frame, "a connection that never sends a frame",
                       [&] { return peer.read_ended(); });

    rpc::Conn& conn = world.AddClient();
    std::string reply;
    if (Status st = conn.Invoke(rpcsim::kEchoRpc, std::string("idle|x"), reply); !st.ok()) {
      CheckFailed("the client's call failed: " + st.ToString());
    }
    start = rt::now();  // its only stream has ended: the idle timer runs
    ExpectClosedAround(start, kDefaults.idle, "a connection idle after one call",
                       [&] { return conn.is_closed(); });
    world.Shutdown(milliseconds(0));
  }
  ledger.CheckAllReturned();
}

// A peer opens a bidi call, sends messages and never reads the replies:
// the handler's writes stall until write_stall closes the connection.
void StalledReader() {
  PoolLedger ledger;
  {
    HostileWorld world(ledger, WorldOptions{.pipe_capacity = 256});
    peers::PeerOptions options = OnePeer(Behaviour::kMessageFlood, Reads::kNever);
    options.rpc = rpcsim::kChatRpc;
    options.flood_messages = 64;
    options.flood_message_bytes = 64;
    world.AddPeer(std::move(options));
    // The replies fill the 256-byte pipe within virtual microseconds.
    const rt::TimePoint start = rt::now() + milliseconds(1);
    ExpectClosedAround(start, kDefaults.write_stall, "a peer that stopped reading its replies",
                       [&] { return !world.ProbePeerConnection(0).ok(); });
    world.Shutdown(milliseconds(0));
  }
  ledger.CheckAllReturned();
}

void Add(ScenarioRegistry& registry, std::string name, std::string description, void (*body)()) {
  registry.Add(Passes(std::move(name), std::move(description), HostileRunOptions(), body));
}

}  // namespace

void RegisterTimeoutScenarios(ScenarioRegistry& registry) {
  Add(registry, "hostile.slowloris",
      "a slowloris peer (one byte per virtual second, a frame that never completes) is closed by "
      "the default partial_frame timeout (30 s), not before",
      &Slowloris);
  Add(registry, "hostile.idle",
      "a connection that never sends a frame is closed by the default first_frame timeout (120 "
      "s), and one idle after a call by the idle timeout (5 min), neither before",
      &Idle);
  Add(registry, "hostile.stalled-reader",
      "a peer that stops reading while its call sends replies is closed by the default "
      "write_stall timeout (30 s), not before",
      &StalledReader);
}

}  // namespace drpc::sim::hostile
