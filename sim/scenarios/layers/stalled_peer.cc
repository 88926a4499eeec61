// layers.stalled-peer.fixed: a client rpc::Conn whose peer stops reading for
// good (it takes the connection and never reads a byte), so every data send
// ends up blocked on the writer's back-pressure. 1-3 streaming calls keep
// sending; each ends by a drawn deadline (the deadline watcher soft-cancels
// it: SendCancel) or a cancel token a task cancels at a drawn time, racing
// the sends blocked on back-pressure and each other. Checked:
//   * at every step, the writer's queue within its bound (ResourceChecker:
//     data frames wait at the high-water mark, docs/manager.md);
//   * each call's blocked send returns by its deadline or cancel plus
//     kReturnBound of virtual time (a cancel must wake a send it would
//     otherwise wait behind);
//   * Close returns, and the connection releases everything it counted.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drpc/rpc/cancel.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/rt.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/pipe.h"
#include "sim/scenarios/layers/layer_scenarios.h"
#include "sim/scenarios/layers/stalled_client.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/run.h"

namespace drpc::sim::layers {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr rt::Duration kReturnBound = milliseconds(1);
constexpr size_t kMaxSends = 256;

[[noreturn]] void Broken(const std::string& what) { Fail("layers.stalled-peer: " + what); }

struct Call : CallEnd {
  rt::Signal returned{"call.returned"};
  rt::TimePoint returned_at{};
  size_t sends = 0;
  Status status;
};

void RunCall(rpc::Conn& conn, Call& call, size_t message_bytes) {
  auto stream = conn.NewStream<std::string, std::string>(rpcsim::kChatRpc, call.Options());
  if (!stream.ok()) {
    call.status = stream.status();
  } else {
    const std::string message(message_bytes, 'm');
    while (call.sends < kMaxSends) {
      call.status = stream->Send(message);
      if (!call.status.ok()) break;
      ++call.sends;
    }
    (void)stream->Close();
  }
  call.returned_at = rt::now();
  call.returned.set(OkStatus());
}

}  // namespace

void RunStalledPeer() {
  StalledClient client = MakeStalledClient();
  net::PipeEnds& ends = client.ends;
  const rpc::ConnOptions& options = client.options;
  ResourceChecker resources;
  {
    rpc::Conn conn(std::move(ends.a), options);
    resources.WatchConnection(conn.manager());
    const size_t calls = 1 + Choose(3, ChoiceKind::kWorkload);
    std::vector<std::unique_ptr<Call>> state;
    std::vector<rt::Task> tasks;
    for (size_t i = 0; i < calls; ++i) {
      auto call = std::make_unique<Call>();
      call->ends = rt::now() + microseconds(200 * (1 + Choose(20, ChoiceKind::kWorkload)));
      if (Choose(2, ChoiceKind::kWorkload) == 1) call->token.emplace();
      const size_t bytes = 100 + 100 * Choose(6, ChoiceKind::kWorkload);
      SpawnCall(tasks, i, *call, [&conn, c = call.get(), bytes] { RunCall(conn, *c, bytes); });
      state.push_back(std::move(call));
    }
    for (size_t i = 0; i < state.size(); ++i) {
      Call& call = *state[i];
      if (!call.returned.wait_until(call.ends + kReturnBound, "main: wait for a call to return")) {
        Broken("call " + std::to_string(i) + " (" + (call.token ? "cancel" : "deadline") +
               ") blocked on back-pressure after " + std::to_string(call.sends) +
               " sends did not return by its " + (call.token ? "cancel" : "deadline") + " + " +
               std::to_string(kReturnBound.count()) + "ns: the writer queue holds " +
               std::to_string(conn.manager().writer().queued_bytes()) + " bytes");
      }
      if (call.status.ok()) {
        Broken("call " + std::to_string(i) + " sent " + std::to_string(kMaxSends) +
               " messages to a peer that never reads: back-pressure never held it");
      }
    }
    for (rt::Task& t : tasks) t.join();
    (void)conn.Close();
  }
  (void)ends.b->Close();
  resources.CheckReleased();
}

}  // namespace drpc::sim::layers
