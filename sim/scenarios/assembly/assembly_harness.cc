#include "sim/scenarios/assembly/assembly_harness.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/assembler.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/net/pipe.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::assembly {
namespace {

using manager::Manager;
using manager::ManagerOptions;
using manager::Role;
using manager::ServerStream;
using stream::BytesCodec;
using stream::Stream;
using wire::Kind;

constexpr size_t kMaxPacket = 300;  // the server's max_packet_size

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

[[noreturn]] void CheckFailed(const std::string& what) { sim::Fail("assembly workload: " + what); }

// One stream's frames, in its order, and when the handler cancels.
struct StreamScript {
  uint64_t id = 0;
  std::vector<wire::Frame> frames;  // data points into `bytes`
  std::vector<std::string> bytes;   // one per frame
  int cancel_after = -1;            // messages the handler takes before SendCancel; -1: none
};

void AddFrame(StreamScript& s, uint64_t mid, Kind kind, bool done, std::string data) {
  s.bytes.push_back(std::move(data));
  s.frames.push_back(wire::Frame{s.id, mid, wire::ToRaw(kind), done, false, {}});
}

StreamScript DrawStream(uint64_t id) {
  StreamScript s;
  s.id = id;
  AddFrame(s, 1, Kind::kInvoke, true, "/asm");
  uint64_t mid = 2;
  const int packets = 1 + static_cast<int>(Draw(4));
  for (int p = 0; p < packets; ++p, ++mid) {
    // Sizes around the limit: most fit, some do not.
    const size_t size = Draw(4) == 0 ? kMaxPacket - 20 + Draw(60) : Draw(200);
    const size_t frame = 1 + Draw(4) * 40 + Draw(40);
    // 1 in 4: left unfinished (the next packet, with a higher id, replaces it).
    const bool unfinished = Draw(4) == 0 && size > frame;
    std::string data(size, '\0');
    for (size_t i = 0; i < size; ++i)
      data[i] = static_cast<char>('a' + (id * 5 + mid * 3 + i) % 26);
    size_t at = 0;
    do {
      const size_t n = std::min(frame, size - at);
      const bool done = at + n == size;
      if (unfinished && done) break;
      AddFrame(s, mid, Kind::kMessage, done, data.substr(at, n));
      at += n;
    } while (at < size);
  }
  AddFrame(s, mid, Kind::kCloseSend, true, "");
  s.cancel_after = Draw(3) == 0 ? static_cast<int>(Draw(3)) : -1;
  return s;
}

// Frame `i` of `s`, its data pointing into `s.bytes`.
wire::Frame FrameOf(const StreamScript& s, size_t i) {
  wire::Frame f = s.frames[i];
  f.data = AsBytes(s.bytes[i]);
  return f;
}

// What a reference assembler keeping its own bytes makes of the frames: the
// Messages, up to the first error.
std::vector<std::string> Expected(const StreamScript& s) {
  wire::PacketAssembler reference(s.id, {.max_packet_size = kMaxPacket});
  std::vector<std::string> out;
  for (size_t i = 0; i < s.frames.size(); ++i) {
    Result<wire::AssembleStep> step = reference.Append(FrameOf(s, i));
    if (!step.ok()) break;
    if (step->packet.has_value() && step->packet->kind == wire::ToRaw(Kind::kMessage)) {
      out.emplace_back(AsStringView(step->packet->data));
    }
  }
  return out;
}

ManagerOptions ServerOptions() {
  ManagerOptions o;
  o.role = Role::kServer;
  o.name = "server";
  o.close_flush_timeout = std::chrono::milliseconds(5);
  o.stream.max_packet_size = kMaxPacket;
  o.pool.name = "server";
  return o;
}

struct Received {
  std::vector<std::string> messages;
};

}  // namespace

std::string ScenarioName(plant::Site site) {
  const std::string_view name = plant::Name(site);  // "assembly.<bug>"
  DRPC_ASSERT(name.rfind("assembly.", 0) == 0, "not an assembly plant: " + std::string(name));
  return std::string(name) + ".buggy";
}

RunOptions AssemblyRunOptions(plant::Set plants) {
  return ScenarioDefaults(/*max_steps=*/400'000, plants);
}

void DrawAndRun() {
  // The script: streams 1, 3, 5..., their frames interleaved by draw; 1 in
  // 3, the connection ends inside one frame of stream 1, after its first
  // `keep` bytes. The cut is drawn right after stream 1's script, before the
  // other streams and the interleaving, and names a frame of stream 1, not a
  // place in the interleaving, so the shrinker can simplify the draws one at
  // a time: zeroing an interleaving draw or the stream count leaves the cut
  // where it was. (Drawn last as an index into the interleaving, the cut
  // moved whenever a draw before it changed, and shrinking stalled at 53
  // non-zero choices.) The scripts are drawn alike and the interleaving puts
  // stream 1's frames anywhere among the others, so always cutting stream 1
  // loses nothing.
  const int streams = 1 + static_cast<int>(Draw(3));
  const bool cut = Draw(3) == 0;
  size_t cut_frame = 0;
  size_t keep = 0;
  std::vector<StreamScript> scripts;
  for (int i = 0; i < streams; ++i) {
    scripts.push_back(DrawStream(static_cast<uint64_t>(2 * i + 1)));
    if (i == 0 && cut) {
      cut_frame = Draw(scripts[0].frames.size());
      // Part of the frame, then the end: the reader is left inside it (a
      // header is at least 4 bytes, so `keep` is short of the whole frame).
      keep = 1 + Draw(wire::EncodedFrameSize(FrameOf(scripts[0], cut_frame)) - 1);
    }
  }
  std::vector<std::pair<size_t, size_t>> order;  // (stream, frame)
  {
    std::vector<size_t> next(scripts.size(), 0);
    for (;;) {
      std::vector<size_t> open;
      for (size_t i = 0; i < scripts.size(); ++i) {
        if (next[i] < scripts[i].frames.size()) open.push_back(i);
      }
      if (open.empty()) break;
      const size_t pick = open[Draw(open.size())];
      order.emplace_back(pick, next[pick]++);
    }
  }

  sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 1024});
  std::unique_ptr<rt::Transport> peer = std::move(ends.a);
  auto server = std::make_unique<Manager>(std::move(ends.b), ServerOptions());
  const std::shared_ptr<stream::BufferPool> pool = server->pool();
  StepHook ledger([pool] { pool->CheckConservation(); });

  std::vector<Received> received(scripts.size());
  std::vector<std::shared_ptr<Stream>> accepted;
  rt::Task acceptor = rt::spawn("acceptor", [&] {
    std::vector<rt::Task> handlers;
    for (;;) {
      Result<ServerStream> in = server->NewServerStream();
      if (!in.ok()) break;
      accepted.push_back(in->stream);
      const size_t index = static_cast<size_t>(in->stream->id() / 2);
      handlers.push_back(rt::spawn("handler", [&, index, s = in->stream] {
        std::string msg;
        const int cancel_after = scripts[index].cancel_after;
        while (s->MsgRecv(msg, BytesCodec{}).ok()) {
          received[index].messages.push_back(msg);
          if (static_cast<int>(received[index].messages.size()) == cancel_after) {
            (void)s->SendCancel(CanceledError());
            return;
          }
        }
        (void)s->CloseSend();
      }));
    }
    for (rt::Task& t : handlers) t.join();
  });
  // The server's frames back (Errors, CloseSends, Cancels) are read and
  // dropped, so its writer never waits on a full pipe.
  rt::Task drain = rt::spawn("peer drain", [&] {
    uint8_t sink[512];
    while (peer->Read(MutableBytes(sink, sizeof(sink))).err.ok()) {
    }
  });
  for (const auto& [stream, frame] : order) {
    Buffer encoded;
    wire::AppendFrame(encoded, FrameOf(scripts[stream], frame));
    if (cut && stream == 0 && frame == cut_frame) {
      (void)peer->Write(encoded.view().first(keep));
      break;
    }
    if (!peer->Write(encoded.view()).ok()) break;
  }
  (void)peer->CloseWrite();
  server->term().wait("assembly: the server sees the end");
  (void)server->Close();
  acceptor.join();
  (void)peer->Close();
  drain.join();
  accepted.clear();
  for (size_t i = 0; i < scripts.size(); ++i) {
    const std::vector<std::string> want = Expected(scripts[i]);
    const std::vector<std::string>& got = received[i].messages;
    if (got.size() > want.size() || !std::equal(got.begin(), got.end(), want.begin())) {
      CheckFailed("stream " + std::to_string(scripts[i].id) + ": received " +
                  std::to_string(got.size()) + " messages that are not a prefix of the " +
                  std::to_string(want.size()) + " its frames make");
    }
  }
  server.reset();
  pool->CheckAllReturned();
}

}  // namespace drpc::sim::assembly
