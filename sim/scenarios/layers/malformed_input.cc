// layers.malformed-input.fixed: hand-made byte strings, one per wire and
// manager rule a receiver must enforce, each on a connection of its own to
// an rpc::Server serving the shared test service (sim/scenarios/rpc), all at
// once, written in drawn chunks over pipes of drawn sizes. Each case checks
// exactly what comes back, so a receiver that accepts what it must refuse
// (or keeps what it must drop) fails the run, not only a unit test:
//   * over-long varint: an Invoke whose stream id takes ten bytes, every one
//     with the continuation bit (§1.2), then the rest of a valid call. The
//     server must close the connection and never answer the call.
//   * partial packet across a higher id (§1.7: the partial packet is
//     dropped), once in each assembler: Invoke 1 starts (done = 0) with a
//     wrong rpc name, then Invoke 2 comes whole (the manager's pending
//     invokes); Message 3 starts, then Message 4 comes whole (the stream's
//     pooled assembly). The call must be served, and the echo must be of
//     message 4 alone.
//   * truncated metadata: an InvokeMetadata packet whose last byte is cut
//     (its lengths run past its data), then a valid call. The call must not
//     be served.
//   * finished stream id: a whole unary call, answered; then an Invoke for
//     the same stream id (§4.3: ids are never reused). The server must close
//     the connection without a second answer.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/metadata.h"
#include "sim/net/listener.h"
#include "sim/peers/frame_mutations.h"
#include "sim/scenarios/layers/layer_scenarios.h"
#include "sim/scenarios/layers/raw_conn.h"
#include "sim/scenarios/rpc/rpc_handlers.h"
#include "sim/sched/run.h"

namespace drpc::sim::layers {
namespace {

using std::chrono::milliseconds;

// Virtual time a case waits for an answer, or for the server to close.
constexpr rt::Duration kAnswerTime = milliseconds(20);

Bytes AsBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

[[noreturn]] void Broken(const std::string& what) { Fail("layers.malformed-input: " + what); }

std::string Show(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const std::string& s : v) out += (out.size() > 1 ? ", '" : "'") + s + "'";
  return out + "]";
}

// Writes `bytes` in 1..3 chunks cut at drawn places: the reader must
// assemble frames across reads.
void WriteInChunks(RawConn& conn, const Buffer& bytes) {
  const Bytes all = bytes.view();
  size_t at = 0;
  const uint64_t cuts = Choose(3, ChoiceKind::kWorkload);
  for (uint64_t i = 0; i < cuts && at < all.size(); ++i) {
    const size_t n = 1 + Choose(all.size() - at, ChoiceKind::kWorkload);
    if (!conn.Write(all.subspan(at, n)).ok()) return;
    at += n;
  }
  if (at < all.size()) (void)conn.Write(all.subspan(at));
}

void OverlongVarint(RawConn& conn) {
  Buffer call;
  peers::AppendUnaryCall(call, {.stream_id = 1, .rpc = rpcsim::kEchoRpc, .request = "overlong"});
  // The Invoke's stream id (1, one byte at offset 1) again in ten bytes:
  // 0x81 then nine 0x80, the continuation bit set on every one.
  Buffer bytes;
  bytes.Append(call.view().first(1));
  const uint8_t first = 0x81;
  const uint8_t more = 0x80;
  bytes.Append(Bytes(&first, 1));
  for (size_t i = 1; i < wire::kMaxVarintSize; ++i) bytes.Append(Bytes(&more, 1));
  bytes.Append(call.view().subspan(2));
  WriteInChunks(conn, bytes);
  if (!conn.WaitEnded(rt::now() + kAnswerTime)) {
    Broken("over-long varint: the server kept the connection open " +
           std::to_string(kAnswerTime.count()) +
           "ns after a stream id of ten varint bytes (it must close it: \"varint too long\")");
  }
  if (!conn.messages(1).empty()) {
    Broken("over-long varint: the server answered the call behind a ten-byte varint: " +
           Show(conn.messages(1)));
  }
}

void PartialAcrossHigherId(RawConn& conn) {
  Buffer bytes;
  const uint8_t message = wire::ToRaw(wire::Kind::kMessage);
  const uint8_t invoke = wire::ToRaw(wire::Kind::kInvoke);
  peers::AppendFrame(bytes, 1, 1, invoke, AsBytes("/stale."), /*done=*/false);
  peers::AppendFrame(bytes, 1, 2, invoke, AsBytes(rpcsim::kEchoRpc));
  peers::AppendFrame(bytes, 1, 3, message, AsBytes("stale"), /*done=*/false);
  peers::AppendFrame(bytes, 1, 4, message, AsBytes("fresh"));
  peers::AppendFrame(bytes, 1, 5, wire::ToRaw(wire::Kind::kCloseSend), Bytes());
  WriteInChunks(conn, bytes);
  if (!conn.WaitMessages(1, 1, rt::now() + kAnswerTime)) {
    Broken(
        "partial packet: no echo of message 4 within the answer time (invoke 2 must be "
        "assembled alone, the partial invoke 1 dropped; the reader ended: " +
        conn.end() + ")");
  }
  const std::string& echo = conn.messages(1).front();
  if (echo.rfind("fresh|", 0) != 0) {
    Broken(
        "partial packet: message 4 must be assembled alone (the partial message 3 is "
        "dropped), but the echo is '" +
        echo + "'");
  }
}

void TruncatedMetadata(RawConn& conn) {
  Buffer metadata;
  wire::EncodeMetadata(metadata, wire::Metadata{{"key", "value"}});
  Buffer bytes;
  peers::AppendFrame(bytes, 1, 1, wire::ToRaw(wire::Kind::kInvokeMetadata),
                     metadata.view().first(metadata.size() - 1));
  peers::AppendFrame(bytes, 1, 2, wire::ToRaw(wire::Kind::kInvoke), AsBytes(rpcsim::kEchoRpc));
  peers::AppendFrame(bytes, 1, 3, wire::ToRaw(wire::Kind::kMessage), AsBytes("truncated"));
  peers::AppendFrame(bytes, 1, 4, wire::ToRaw(wire::Kind::kCloseSend), Bytes());
  WriteInChunks(conn, bytes);
  (void)conn.WaitEnded(rt::now() + kAnswerTime);
  if (!conn.messages(1).empty()) {
    Broken(
        "truncated metadata: the server served a call whose metadata lengths run past its "
        "data: " +
        Show(conn.messages(1)));
  }
}

void FinishedIdAgain(RawConn& conn) {
  Buffer first;
  peers::AppendUnaryCall(first, {.stream_id = 1, .rpc = rpcsim::kEchoRpc, .request = "first"});
  WriteInChunks(conn, first);
  if (!conn.WaitMessages(1, 1, rt::now() + kAnswerTime)) {
    Broken("finished id: the first call was not answered (the reader ended: " + conn.end() + ")");
  }
  // Let the server's stream finish and leave its table.
  rt::sleep_for(std::chrono::microseconds(Choose(4, ChoiceKind::kWorkload) * 500));
  Buffer again;
  peers::AppendUnaryCall(again, {.stream_id = 1, .rpc = rpcsim::kEchoRpc, .request = "again"});
  WriteInChunks(conn, again);
  if (!conn.WaitEnded(rt::now() + kAnswerTime)) {
    Broken(
        "finished id: the server kept the connection open after an Invoke for stream 1, "
        "which it had already served (ids are never reused)");
  }
  if (conn.messages(1).size() != 1) {
    Broken("finished id: stream 1 was served again: " + Show(conn.messages(1)));
  }
}

}  // namespace

void RunMalformedInput() {
  using Case = void (*)(RawConn&);
  static constexpr std::pair<const char*, Case> kCases[] = {
      {"overlong", OverlongVarint},
      {"partial", PartialAcrossHigherId},
      {"metadata", TruncatedMetadata},
      {"reused", FinishedIdAgain},
  };
  rpcsim::TestService service;
  rpc::Server server(service.mux);
  net::Listener listener;
  Status served;
  rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
  std::vector<rt::Task> cases;
  for (const auto& [name, run] : kCases) {
    static constexpr size_t kCapacities[] = {64, 512, 4096};
    net::PipeOptions pipe;
    pipe.capacity_bytes = kCapacities[Choose(3, ChoiceKind::kWorkload)];
    Result<net::Dialed> dialed = listener.Dial(pipe);
    if (!dialed.ok()) Broken(std::string("dial: ") + dialed.status().ToString());
    cases.push_back(
        rt::spawn(name, [name = name, run = run, t = std::move(dialed->transport)]() mutable {
          RawConn conn(name, std::move(t));
          run(conn);
          conn.Close();
        }));
  }
  for (rt::Task& t : cases) t.join();
  (void)server.Stop(milliseconds(10));
  serving.join();
  (void)listener.Close();
}

}  // namespace drpc::sim::layers
