#include "sim/scenarios/hostile/hostile_fixed.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rpc/conn.h"
#include "drpc/rt/rt.h"
#include "sim/net/world.h"
#include "sim/scenarios/hostile/hostile_world.h"
#include "sim/scenarios/rpc/rpc_handlers.h"

namespace drpc::sim::hostile {
namespace {

using std::chrono::microseconds;

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

// Small limits keep the metadata behaviours cheap; the peers aim at them.
constexpr size_t kMaxInvokeBytes = 2048;

std::string Program(const peers::HostilePeer& peer) {
  std::string out = peer.report().reads ? "reads:" : "never reads:";
  for (peers::Behaviour b : peer.report().program) out += " " + std::string(BehaviourName(b));
  return out;
}

struct ClientCall {
  size_t client = 0;
  int64_t start_us = 0;
  bool chat = false;
};

int64_t Us(rt::Duration d) { return std::chrono::duration_cast<microseconds>(d).count(); }

// What the run's faults allow a call: an error only if one may have
// broken or delayed its connection.
bool Allowed(const Status& st, const CallFaults& faults) {
  if (faults.breaks) return true;
  return faults.delays && st.is(ErrorKind::kDeadlineExceeded);
}

// One well-behaved call; empty if it ended as it must. Without world
// faults: its exact reply within kServeBound. With them (--faults net.*):
// its exact reply, or an error they allow (then `faulted` is set), by its
// deadline.
std::string Call(rpc::Conn& conn, const ClientCall& plan, size_t index, const CallFaults& faults,
                 bool& faulted) {
  rt::sleep_for(microseconds(plan.start_us));
  const rt::TimePoint start = rt::now();
  rpc::CallOptions options;
  if (faults.delays) options.deadline = start + kFaultedCallDeadline;
  std::string wrong;
  auto failed = [&](const std::string& what, const Status& st) {
    if (Allowed(st, faults)) {
      faulted = true;
    } else {
      wrong = what + st.ToString();
    }
    return true;
  };
  if (!plan.chat) {
    const std::string request = "good" + std::to_string(index);
    std::string reply;
    if (Status st = conn.Invoke(rpcsim::kEchoRpc, request, reply, options); !st.ok()) {
      failed("echo ended with ", st);
    } else if (reply != request + "|") {
      wrong = "echo reply '" + reply + "', expected '" + request + "|'";
    }
  } else {
    auto s = conn.NewStream<std::string, std::string>(rpcsim::kChatRpc, options);
    if (!s.ok()) {
      failed("chat: ", s.status());
    } else {
      std::string msg;
      bool ended = false;  // the stream failed as the faults allow, or wrongly
      for (int i = 0; i < 2 && !ended; ++i) {
        const std::string m = "g" + std::to_string(index) + "." + std::to_string(i);
        if (Status st = s->Send(m); !st.ok()) {
          ended = failed("chat send: ", st);
        } else if (Status got = s->Recv(msg); !got.ok()) {
          ended = failed("chat recv: ", got);
        } else if (msg != m + "|e") {
          wrong = "chat reply '" + msg + "', expected '" + m + "|e'";
          ended = true;
        }
      }
      if (!ended) {
        (void)s->CloseSend();
        if (Status st = s->Recv(msg); !st.is(ErrorKind::kEof)) {
          if (st.ok()) {
            wrong = "chat end: a message after the last: '" + msg + "'";
          } else {
            failed("chat end: ", st);
          }
        }
      }
    }
  }
  const rt::Duration took = rt::now() - start;
  const rt::Duration bound = faults.delays ? kFaultedCallDeadline + kFaultedCallLate : kServeBound;
  if (wrong.empty() && took > bound) {
    wrong = "took " + std::to_string(Us(took)) + "us of virtual time, over the bound of " +
            std::to_string(Us(bound)) + "us";
  }
  return wrong;
}

}  // namespace

uint64_t& FixedFaultedCalls() {
  static uint64_t calls = 0;
  return calls;
}

peers::BehaviourCounts& FixedBehaviourTally() {
  static peers::BehaviourCounts tally{};
  return tally;
}

RunOptions HostileRunOptions() {
  RunOptions options;
  options.max_steps = 2'000'000;
  options.stack_bytes = 128 * 1024;
  return options;
}

void DrawAndRunFixed(rpcsim::RpcPlant plant) {
  static constexpr const char* kRpcs[] = {rpcsim::kEchoRpc, rpcsim::kChatRpc, rpcsim::kBlockRpc,
                                          rpcsim::kSumRpc, rpcsim::kUnknownRpc};
  static constexpr int64_t kGraceUs[] = {0, 100, 1000};
  PoolLedger ledger;
  {
    WorldOptions world_options;
    world_options.link = DrawLink();  // the simulated world
    world_options.plant = plant;
    world_options.server.manager.max_invoke_bytes = kMaxInvokeBytes;
    world_options.server.manager.close_flush_timeout = std::chrono::milliseconds(5);
    HostileWorld world(ledger, std::move(world_options));

    std::vector<peers::HostilePeer*> peers;
    const size_t peer_count = 1 + Draw(3);
    for (size_t i = 0; i < peer_count; ++i) {
      peers::PeerOptions options;
      options.rpc = kRpcs[Draw(5)];
      options.max_invoke_bytes = kMaxInvokeBytes;
      options.max_flood = 64;
      peers.push_back(&world.AddPeer(std::move(options)));
    }
    std::vector<rpc::Conn*> clients;
    const size_t client_count = 1 + Draw(2);
    for (size_t i = 0; i < client_count; ++i) clients.push_back(&world.AddClient());
    std::vector<ClientCall> plans(1 + Draw(4));
    for (ClientCall& plan : plans) {
      plan.client = Draw(client_count);
      plan.start_us = static_cast<int64_t>(Draw(20)) * 100;
      plan.chat = Draw(3) == 2;
    }
    std::vector<std::string> wrong(plans.size());
    std::vector<char> faulted(plans.size(), 0);  // not vector<bool>: one flag per task
    std::vector<rt::Task> callers;
    for (size_t i = 0; i < plans.size(); ++i) {
      callers.push_back(world.SpawnForClient(plans[i].client, "good " + std::to_string(i), [&, i] {
        bool f = false;
        wrong[i] = Call(*clients[plans[i].client], plans[i], i, world.call_faults(), f);
        faulted[i] = f;
      }));
    }
    for (rt::Task& t : callers) t.join();
    for (size_t i = 0; i < plans.size(); ++i) {
      if (wrong[i].empty()) continue;
      // The peers on a line of their own: the first line says what broke (a
      // shrinker's "same failure"), so simpler peers can fail the same way.
      std::string why = "well-behaved call " + std::to_string(i) + " at +" +
                        std::to_string(plans[i].start_us) + "us: " + wrong[i] + "\n  peers:";
      for (const peers::HostilePeer* p : peers) why += " [" + Program(*p) + "]";
      CheckFailed(why);
    }
    const bool release_first = Draw(2) == 0;
    world.Shutdown(microseconds(kGraceUs[Draw(3)]), release_first);
    for (char f : faulted) FixedFaultedCalls() += f;
    for (const peers::HostilePeer* p : peers) {
      for (size_t b = 0; b < peers::kBehaviourCount; ++b) {
        FixedBehaviourTally()[b] += p->report().actions[b];
      }
    }
  }
  ledger.CheckAllReturned();
}

}  // namespace drpc::sim::hostile
