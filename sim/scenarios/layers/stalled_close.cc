// layers.stalled-close.fixed: a client rpc::Conn whose peer reads nothing
// until it has written more than the pipe holds (the mutual back-pressure
// of 85c6f8e). 1-3 streaming calls send until the writer's queue is over its
// mark and then end with CloseSend or Close, whose terminal frame (no cancel
// signal) waits on that back-pressure. At a drawn time the peer writes a
// remote CloseSend for each stream, then filler the reader drops; only then
// does it read. The reader takes a stream's mu for the remote CloseSend, so
// a terminal call that keeps mu while its frame waits (the plant
// stream.terminal-holds-mu) stops the reader, the peer's write never ends,
// and neither side reads again; so does a SendCancel (deadline or cancel
// token) that waits for write holding mu (stream.abort-waits-for-write).
// Deadlines and cancel tokens fire before, during or after the peer's
// write; the connection's Close then races the drain. Checked:
//   * the peer's write ends within kPeerWriteBound (our reader kept reading);
//   * Close returns within the flush timeout plus kReturnBound;
//   * every call returns once Close has returned;
//   * the connection releases everything it counted.
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/rpc/cancel.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/rt.h"
#include "drpc/wire/kind.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/pipe.h"
#include "sim/peers/frame_mutations.h"
#include "sim/scenarios/layers/layer_scenarios.h"
#include "sim/scenarios/layers/stalled_client.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/run.h"

namespace drpc::sim::layers {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr rt::Duration kReturnBound = milliseconds(1);
constexpr rt::Duration kFlushTimeout = milliseconds(5);
constexpr size_t kMaxSends = 64;
constexpr uint64_t kUnknownStream = 99;  // frames the client's reader drops
constexpr rt::Duration kPeerWriteBound = milliseconds(20);

[[noreturn]] void Broken(const std::string& what) { Fail("layers.stalled-close: " + what); }

struct Call : CallEnd {
  bool close = false;  // the terminal call is Close, else CloseSend
  rt::Signal returned{"call.returned"};
};

void RunCall(rpc::Conn& conn, Call& call, size_t message_bytes) {
  auto stream = conn.NewStream<std::string, std::string>(rpcsim::kChatRpc, call.Options());
  if (stream.ok()) {
    // Send until the writer's queue is over its mark, so the terminal frame
    // that follows waits on back-pressure (a data send that itself waits
    // ends only by the call's end, and the terminal call is then a no-op).
    const std::string message(message_bytes, 'm');
    const size_t mark = conn.manager().options().writer.high_water_bytes;
    for (size_t i = 0; i < kMaxSends && conn.manager().writer().queued_bytes() < mark; ++i) {
      if (!stream->Send(message).ok()) break;
    }
    (void)(call.close ? stream->Close() : stream->CloseSend());
  }
  call.returned.set(OkStatus());
}

// The peer: reads nothing until it has written `bytes` (a remote CloseSend
// for each client stream, then filler for an unknown stream, which the
// reader drops), then reads everything until EOF. If our reader stops
// (blocked on a stream's mu), the peer's write never ends and it never
// reads: both sides wait on each other's back-pressure.
void RunPeer(rt::Transport& transport, Bytes bytes, rt::Signal& wrote) {
  wrote.set(transport.Write(bytes));
  std::array<uint8_t, 512> chunk{};
  while (transport.Read(MutableBytes(chunk.data(), chunk.size())).err.ok()) {
  }
  (void)transport.Close();
}

Buffer PeerBytes(size_t calls, size_t filler_bytes) {
  Buffer bytes;
  for (uint64_t id = 1; id <= calls; ++id) {  // the client numbers its streams from 1
    peers::AppendFrame(bytes, id, 1, wire::ToRaw(wire::Kind::kCloseSend), Bytes());
  }
  const std::string filler(200, 'f');
  for (uint64_t m = 1; bytes.size() < filler_bytes; ++m) {
    peers::AppendFrame(bytes, kUnknownStream, m, wire::ToRaw(wire::Kind::kMessage),
                       AsBytes(filler));
  }
  return bytes;
}

}  // namespace

void RunStalledClose() {
  StalledClient client = MakeStalledClient();
  net::PipeEnds& ends = client.ends;
  rpc::ConnOptions& options = client.options;
  options.manager.close_flush_timeout = kFlushTimeout;
  ResourceChecker resources;
  {
    rpc::Conn conn(std::move(ends.a), options);
    resources.WatchConnection(conn.manager());
    const size_t calls = 1 + Choose(3, ChoiceKind::kWorkload);
    // The calls' ends may come before, during or after the peer's write: a
    // deadline or cancel (SendCancel) that fires while a CloseSend's frame
    // waits on back-pressure must not stall the reader either (the bug of
    // the plant stream.abort-waits-for-write, found here; docs/stream.md).
    const rt::TimePoint peer_writes =
        rt::now() + microseconds(200 * (1 + Choose(6, ChoiceKind::kWorkload)));
    std::vector<std::unique_ptr<Call>> state;
    std::vector<rt::Task> tasks;
    for (size_t i = 0; i < calls; ++i) {
      auto call = std::make_unique<Call>();
      call->ends = rt::now() + microseconds(200 * (1 + Choose(16, ChoiceKind::kWorkload)));
      if (Choose(2, ChoiceKind::kWorkload) == 1) call->token.emplace();
      call->close = Choose(2, ChoiceKind::kWorkload) == 1;
      // One frame per message (split_size 256): a message split in frames
      // could put the queue over the mark with its first frame and wait with
      // the rest, and then the terminal call would never wait on its own.
      const size_t bytes = 50 + 50 * Choose(4, ChoiceKind::kWorkload);
      SpawnCall(tasks, i, *call, [&conn, c = call.get(), bytes] { RunCall(conn, *c, bytes); });
      state.push_back(std::move(call));
    }
    // The peer writes more than the pipe holds, so its write ends only if
    // our reader keeps reading.
    rt::sleep_until(peer_writes);
    const Buffer peer_bytes = PeerBytes(calls, 2 * client.pipe_capacity + 2048);
    rt::Signal wrote("peer.wrote");
    rt::Task peer = rt::spawn("peer", [&] { RunPeer(*ends.b, peer_bytes.view(), wrote); });
    if (!wrote.wait_until(rt::now() + kPeerWriteBound, "main: wait for the peer's write")) {
      Broken("the peer's write (" + std::to_string(peer_bytes.size()) + " bytes) did not end in " +
             std::to_string(kPeerWriteBound.count()) +
             "ns: the client's reader stopped reading while its writer waits for the peer");
    }
    // Close before, among or after the calls' ends.
    rt::sleep_for(microseconds(200 * Choose(12, ChoiceKind::kWorkload)));
    const rt::TimePoint close_began = rt::now();
    (void)conn.Close();
    if (rt::now() > close_began + kFlushTimeout + kReturnBound) {
      Broken("Close took " + std::to_string((rt::now() - close_began).count()) +
             "ns; the flush timeout is " + std::to_string(kFlushTimeout.count()) + "ns");
    }
    for (size_t i = 0; i < state.size(); ++i) {
      if (!state[i]->returned.wait_until(rt::now() + kReturnBound,
                                         "main: wait for a call to return")) {
        Broken("call " + std::to_string(i) + " did not return after Close");
      }
    }
    for (rt::Task& t : tasks) t.join();
    peer.join();
  }
  resources.CheckReleased();
}

}  // namespace drpc::sim::layers
