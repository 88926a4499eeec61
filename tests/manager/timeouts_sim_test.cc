// The connection timeouts (drpc/manager/timeouts.h) in virtual time: each
// fires at its stated time and not before, does not fire on a peer that is
// slow but makes progress, and is off when zero. A server manager over a sim
// pipe; the test plays the peer with raw frames on the pipe's other end.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "drpc/base/buffer.h"
#include "drpc/manager/manager.h"
#include "drpc/manager/timeouts.h"
#include "drpc/rt/rt.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/net/pipe.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::manager {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using wire::Kind;

constexpr ConnectionTimeouts kOff{.first_frame = rt::Duration::zero(),
                                  .idle = rt::Duration::zero(),
                                  .partial_frame = rt::Duration::zero(),
                                  .write_stall = rt::Duration::zero()};
constexpr rt::Duration kT = seconds(10);  // the timeout under test
constexpr rt::Duration kEps = milliseconds(1);
constexpr uint64_t kSeeds = 20;

Buffer Frame(uint64_t sid, uint64_t mid, Kind kind, std::string_view data = {}) {
  Buffer out;
  wire::AppendFrame(out, wire::Frame{sid, mid, wire::ToRaw(kind), true, false, AsBytes(data)});
  return out;
}

struct Peer {
  std::unique_ptr<rt::Transport> end;
  std::shared_ptr<sim::net::Pipe> pipe;
  void Write(const Buffer& bytes) const { ASSERT_TRUE(end->Write(bytes.view()).ok()); }
};

// Runs `body` with a server manager with `timeouts` and the peer's end.
void RunSeeds(const ConnectionTimeouts& timeouts, size_t pipe_capacity,
              const std::function<void(Manager&, Peer&)>& body) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    sim::RandomSource decisions(seed);
    sim::RunOptions options;
    options.max_steps = 500'000;
    const sim::RunResult r = sim::Run(decisions, options, [&] {
      sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = pipe_capacity});
      ManagerOptions o;
      o.role = Role::kServer;
      o.name = "server";
      o.timeouts = timeouts;
      Manager server(std::move(ends.b), o);
      Peer peer{std::move(ends.a), ends.pipe};
      body(server, peer);
      (void)peer.end->Close();
      (void)server.Close();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << sim::OutcomeName(r.outcome) << "\n"
                        << r.report << "\n"
                        << r.trace_tail;
    if (::testing::Test::HasFailure()) FAIL() << "seed " << seed;
  }
}

// The connection is held until `at` and closed by `at` + kEps, with the
// error naming `option` (kClosed, code Unavailable); the peer reads EOF.
void ExpectClosedAt(Manager& server, Peer& peer, rt::TimePoint at, std::string_view option) {
  rt::sleep_until(at - kEps);
  EXPECT_FALSE(server.closed()) << "closed before its timeout";
  rt::sleep_until(at + kEps);
  ASSERT_TRUE(server.closed()) << "still open after its timeout";
  const Status err = server.term().err();
  EXPECT_TRUE(err.is(ErrorKind::kClosed)) << err;
  EXPECT_EQ(err.code(), StatusCode::kUnavailable) << err;
  EXPECT_NE(err.message().find(option), std::string::npos) << err;
  // The peer sees the connection end (what it was sent, then EOF).
  uint8_t buf[256];
  for (int i = 0; i < 1000; ++i) {
    ReadResult r = peer.end->Read(MutableBytes(buf, sizeof(buf)));
    if (!r.err.ok()) {
      EXPECT_TRUE(r.err.is(ErrorKind::kEof)) << r.err;
      return;
    }
  }
  ADD_FAILURE() << "the peer never read the end of the connection";
}

void ExpectHeldUntil(Manager& server, rt::TimePoint until) {
  rt::sleep_until(until);
  EXPECT_FALSE(server.closed()) << server.term().err();
}

// ---- first_frame

TEST(Timeouts, FirstFrameFiresAtItsTime) {
  ConnectionTimeouts t = kOff;
  t.first_frame = kT;
  RunSeeds(t, 4096, [](Manager& server, Peer& peer) {
    ExpectClosedAt(server, peer, rt::TimePoint() + kT, "first_frame");
  });
}

TEST(Timeouts, FirstFrameIsMetByOneFrame) {
  ConnectionTimeouts t = kOff;
  t.first_frame = kT;
  RunSeeds(t, 4096, [](Manager& server, Peer& peer) {
    rt::sleep_until(rt::TimePoint() + kT - seconds(1));
    // A late frame of an unknown stream: dropped, but a complete frame.
    peer.Write(Frame(9, 1, Kind::kMessage, "x"));
    ExpectHeldUntil(server, rt::TimePoint() + 10 * kT);
  });
}

// ---- idle

// The peer opens stream 1 (Invoke, CloseSend); the server accepts it and
// closes it at `close_at`: the stream ends and the idle timer starts.
void OneStream(Manager& server, Peer& peer, rt::TimePoint close_at) {
  Buffer call = Frame(1, 1, Kind::kInvoke, "/svc/M");
  Buffer close_send = Frame(1, 2, Kind::kCloseSend);
  call.Append(close_send.view());
  peer.Write(call);
  Result<ServerStream> in = server.NewServerStream();
  ASSERT_TRUE(in.ok()) << in.status();
  rt::sleep_until(close_at);
  ASSERT_TRUE(in->stream->Close().ok());
  ASSERT_EQ(server.active_streams(), 0u);
}

TEST(Timeouts, IdleFiresAtItsTimeAfterTheLastStream) {
  ConnectionTimeouts t = kOff;
  t.idle = kT;
  RunSeeds(t, 4096, [](Manager& server, Peer& peer) {
    const rt::TimePoint end = rt::TimePoint() + seconds(3);
    OneStream(server, peer, end);
    ExpectClosedAt(server, peer, end + kT, "idle");
  });
}

TEST(Timeouts, IdleDoesNotFireWhileAStreamLives) {
  ConnectionTimeouts t = kOff;
  t.idle = kT;
  RunSeeds(t, 4096, [](Manager& server, Peer& peer) {
    // Started at 0 with no stream: the stream comes before the timer ends
    // and lives for 10 timeouts.
    rt::sleep_until(rt::TimePoint() + kT / 2);
    const rt::TimePoint end = rt::now() + 10 * kT;
    OneStream(server, peer, end);
    ExpectClosedAt(server, peer, end + kT, "idle");
  });
}

// ---- partial_frame

TEST(Timeouts, PartialFrameFiresAtItsTime) {
  ConnectionTimeouts t = kOff;
  t.partial_frame = kT;
  RunSeeds(t, 4096, [](Manager& server, Peer& peer) {
    const Buffer frame = Frame(9, 1, Kind::kMessage, "a frame that never completes");
    rt::sleep_until(rt::TimePoint() + seconds(2));
    Buffer part;
    part.Append(frame.view().first(5));
    peer.Write(part);
    ExpectClosedAt(server, peer, rt::TimePoint() + seconds(2) + kT, "partial_frame");
  });
}

TEST(Timeouts, PartialFrameSparesASlowPeerThatCompletesFrames) {
  ConnectionTimeouts t = kOff;
  t.partial_frame = kT;
  RunSeeds(t, 4096, [](Manager& server, Peer& peer) {
    // 20 frames of ~24 bytes, one byte every 300 ms: each frame takes about
    // 7 s, under the timeout, and the whole takes 14 timeouts.
    for (uint64_t m = 1; m <= 20; ++m) {
      const Buffer frame = Frame(9, m, Kind::kMessage, "slow but steady bytes");
      for (uint8_t byte : frame.view()) {
        Buffer one;
        one.Append(Bytes(&byte, 1));
        peer.Write(one);
        rt::sleep_for(milliseconds(300));
      }
    }
    EXPECT_GT(rt::now() - rt::TimePoint(), 10 * kT);
    EXPECT_FALSE(server.closed()) << server.term().err();
  });
}

// ---- write_stall

// The server sends `frames` frames of 4 KiB on a registered stream's id
// from a task of its own (the writer task writes them as the pipe drains).
rt::Task Sender(Manager& server, int frames) {
  return rt::spawn("sender", [&server, frames] {
    const std::string data(4096, 'r');
    for (int i = 0; i < frames; ++i) {
      const wire::Frame f{
          1, static_cast<uint64_t>(i + 1), wire::ToRaw(Kind::kMessage), true, false, AsBytes(data)};
      if (!server.writer().WriteFrame(f, nullptr).ok()) return;
    }
  });
}

TEST(Timeouts, WriteStallFiresAtItsTime) {
  ConnectionTimeouts t = kOff;
  t.write_stall = kT;
  RunSeeds(t, 1024, [](Manager& server, Peer& peer) {
    rt::Task sender = Sender(server, 8);
    // The peer never reads: the first write fills the pipe at time 0.
    ExpectClosedAt(server, peer, rt::TimePoint() + kT, "write_stall");
    sender.join();
  });
}

TEST(Timeouts, WriteStallSparesASlowReader) {
  ConnectionTimeouts t = kOff;
  t.write_stall = kT;
  RunSeeds(t, 1024, [](Manager& server, Peer& peer) {
    // 64 KiB read 512 bytes every 100 ms (5 KiB/s): a 16 KiB piece takes
    // about 3.2 s, under the timeout; the whole takes over a timeout.
    constexpr int kFrames = 16;
    rt::Task sender = Sender(server, kFrames);
    size_t total = 0;
    uint8_t buf[512];
    while (total < kFrames * 4096) {
      rt::sleep_for(milliseconds(100));
      ReadResult r = peer.end->Read(MutableBytes(buf, sizeof(buf)));
      ASSERT_TRUE(r.err.ok()) << r.err << " after " << total << " bytes";
      total += r.n;
    }
    EXPECT_GT(rt::now() - rt::TimePoint(), kT);
    EXPECT_FALSE(server.closed()) << server.term().err();
    sender.join();
  });
}

// ---- off

TEST(Timeouts, ZeroTurnsEachOff) {
  RunSeeds(kOff, 1024, [](Manager& server, Peer& peer) {
    // No frame, a partial frame, no stream, a peer that never reads.
    Buffer part = Frame(9, 1, Kind::kMessage, "never completes");
    part.Resize(4);
    peer.Write(part);
    rt::Task sender = Sender(server, 8);
    ExpectHeldUntil(server, rt::TimePoint() + std::chrono::hours(24));
    EXPECT_EQ(server.stats().watcher_wakeups, 0u);
    (void)server.Close();  // wakes the sender's write
    sender.join();
  });
}

}  // namespace
}  // namespace drpc::manager
