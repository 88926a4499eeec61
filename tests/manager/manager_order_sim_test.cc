// The manager pair over a simulated pipe, for what happens to a call that
// is already waiting (a receive, a send held by back-pressure, a legacy
// opener, the deadline watcher): each test waits until every other task is
// parked, so the call under test is known to wait, then acts. Where the act
// may come before or after the call waits, a sweep of seeds runs both
// orders and checks that both were run.
#include <gtest/gtest.h>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"
#include "tests/manager/manager_calls.h"

namespace drpc::manager {
namespace {

using namespace testing;  // NOLINT: test helpers
using ::drpc::testing::ForEachSeed;
using ::drpc::testing::UntilEveryOtherTaskParks;

constexpr uint64_t kSeeds = 50;

Pair MakeSimPair(ManagerOptions client = ClientOptions(), ManagerOptions server = ServerOptions(),
                 sim::net::PipeOptions pipe = {}) {
  sim::net::PipeEnds ends = sim::net::MakePipe(pipe);
  Pair p;
  p.client = std::make_unique<Manager>(std::move(ends.a), std::move(client));
  p.server = std::make_unique<Manager>(std::move(ends.b), std::move(server));
  return p;
}

struct Opened {
  Pair pair;
  std::shared_ptr<Stream> client;
  std::shared_ptr<Stream> server;
};

Opened Open() {
  Opened o{MakeSimPair(), nullptr, nullptr};
  o.client = Invoke(*o.pair.client);
  o.server = Accept(*o.pair.server).stream;
  return o;
}

// ---- a cancel releases a waiting receive -------------------------------------

TEST(Cancel, ReleasesAReceiveThatWaits) {
  ForEachSeed(kSeeds, [](uint64_t) {
    Opened o = Open();
    bool returned = false;
    Status got;
    rt::Task receiver = rt::spawn("receiver", [&] {
      got = Recv(*o.client).status();
      returned = true;
    });
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(returned) << "nothing was sent: the receive must wait";
    ASSERT_TRUE(Manager::Cancel(*o.client, CanceledError()).ok());
    receiver.join();
    EXPECT_EQ(got, CanceledError());
    WaitFor(o.client->finished(), "client stream finishes");
  });
}

// Unordered: the cancel comes before the receive starts, while it is on
// its way to its wait, or once it waits. Every order ends the receive with
// the cancel's error; the sweep must run both "cancel first" (the stream
// had terminated when the receive began) and "receive first".
TEST(Cancel, RacingAReceiveEndsItEitherWay) {
  int cancel_first = 0;
  int receive_first = 0;
  ForEachSeed(200, [&](uint64_t seed) {
    Opened o = Open();
    Status got;
    // Two tasks started together; the receiver first gives way up to 63
    // times, so the cancel lands before, during and after the receive.
    rt::Task receiver = rt::spawn("receiver", [&] {
      for (uint64_t i = 0; i < seed % 64; ++i) rt::yield();
      (o.client->terminated().is_set() ? cancel_first : receive_first)++;
      got = Recv(*o.client).status();
    });
    rt::Task canceler = rt::spawn(
        "canceler", [&] { EXPECT_TRUE(Manager::Cancel(*o.client, CanceledError()).ok()); });
    canceler.join();
    receiver.join();
    EXPECT_EQ(got, CanceledError());
  });
  EXPECT_GT(cancel_first, 0);
  EXPECT_GT(receive_first, 0);
  std::cout << "cancel first: " << cancel_first << ", receive first: " << receive_first << "\n";
}

// ---- the deadline watcher -------------------------------------------------------

// The watcher sleeps on its own condition variable: streams without a
// deadline never wake it, and neither does a stream with a later deadline
// than one already waiting (the watcher's wake-up time does not change).
// The connection timeouts, which the same watcher serves, are off here:
// each costs about one wake-up per timeout period (timeouts_sim_test.cc).
TEST(Deadline, StreamsWithoutAnEarlierDeadlineNeverWakeTheWatcher) {
  ForEachSeed(10, [](uint64_t) {
    const ConnectionTimeouts off{.first_frame = rt::Duration::zero(),
                                 .idle = rt::Duration::zero(),
                                 .partial_frame = rt::Duration::zero(),
                                 .write_stall = rt::Duration::zero()};
    ManagerOptions client = ClientOptions();
    ManagerOptions server = ServerOptions();
    client.timeouts = off;
    server.timeouts = off;
    Pair p = MakeSimPair(client, server);
    UntilEveryOtherTaskParks();  // both watchers wait: every wake-up from here on is counted
    for (int i = 0; i < 20; ++i) {
      std::shared_ptr<Stream> c = Invoke(*p.client);
      ServerStream in = Accept(*p.server);
      ASSERT_TRUE(Send(*c, "x").ok());
      ASSERT_TRUE(c->CloseSend().ok());
      ASSERT_TRUE(Recv(*in.stream).ok());
      ASSERT_TRUE(in.stream->CloseSend().ok());
      EXPECT_TRUE(Recv(*c).status().is(ErrorKind::kEof));
      WaitFor(c->finished(), "client stream finishes");
      WaitFor(in.stream->finished(), "server stream finishes");
    }
    EXPECT_EQ(p.client->stats().watcher_wakeups, 0u);
    EXPECT_EQ(p.server->stats().watcher_wakeups, 0u);

    // One far deadline wakes the watcher once (to sleep until it); later
    // ones, which do not move the earliest deadline, do not.
    const rt::TimePoint far = rt::now() + std::chrono::hours(1);
    std::vector<std::shared_ptr<Stream>> held;
    for (int i = 0; i < 10; ++i) {
      held.push_back(
          Invoke(*p.client, "/svc/Held", {}, {.deadline = far + std::chrono::seconds(i)}));
      UntilEveryOtherTaskParks();  // a wake-up, if any, has been taken and counted
      EXPECT_EQ(p.client->stats().watcher_wakeups, 1u) << "after deadline " << i;
    }
    for (const std::shared_ptr<Stream>& s : held) ASSERT_TRUE(s->Close().ok());
    for (const std::shared_ptr<Stream>& s : held) WaitFor(s->finished(), "held stream finishes");
    EXPECT_EQ(p.client->stats().deadlines_expired, 0u);
  });
}

// ---- Close releases what waits ----------------------------------------------------

TEST(Close, ReleasesStreamsWaitingInReceiveAndInSend) {
  ForEachSeed(kSeeds, [](uint64_t) {
    ManagerOptions client = ClientOptions();
    client.writer.high_water_bytes = 1024;  // so a sender waits for back-pressure
    // The server never drains `sending`, so the graceful flush cannot
    // finish: keep its bound short.
    client.close_flush_timeout = std::chrono::milliseconds(50);
    ManagerOptions server = ServerOptions();
    server.stream.ring.capacity = 2;  // the server's reader soon waits on the unread ring
    Pair p = MakeSimPair(client, server, {.capacity_bytes = 4096});
    std::shared_ptr<Stream> receiving = Invoke(*p.client);
    std::shared_ptr<Stream> sending = Invoke(*p.client);
    ServerStream a = Accept(*p.server);
    ServerStream b = Accept(*p.server);
    Status recv_status, send_status;
    bool recv_returned = false;
    int sent = 0;
    rt::Task receiver = rt::spawn("receiver", [&] {
      recv_status = Recv(*receiving).status();
      recv_returned = true;
    });
    rt::Task sender = rt::spawn("sender", [&] {
      // The server never reads b: its ring fills, its reader waits, the
      // pipe fills, the client's writer queue passes the mark and the
      // sender waits.
      const std::string big(1000, 'x');
      for (int i = 0; i < 10'000; ++i) {
        send_status = Send(*sending, big);
        if (!send_status.ok()) return;
        ++sent;
      }
    });
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(recv_returned) << "nothing was sent to `receiving`: its receive must wait";
    ASSERT_TRUE(send_status.ok()) << "the sender must wait, not fail: " << send_status;
    ASSERT_GT(sent, 0);
    ASSERT_LT(sent, 10'000) << "the sender never waited for back-pressure";
    ASSERT_TRUE(p.client->Close().ok());
    receiver.join();
    sender.join();
    EXPECT_EQ(recv_status, ClosedError("manager closed: Close called"));
    // The send that waited returns the cancel's error (checkCancelError).
    EXPECT_EQ(send_status, ClosedError("manager closed: Close called"));
    EXPECT_TRUE(Send(*sending, "x").is(ErrorKind::kEof)) << "the next one EOF (§2.4)";
    EXPECT_TRUE(receiving->finished().is_set());
    EXPECT_TRUE(sending->finished().is_set());
    ASSERT_TRUE(p.server->Close().ok());
  });
}

// ---- legacy mode ------------------------------------------------------------------

TEST(Legacy, OneClientStreamAtATime) {
  ForEachSeed(kSeeds, [](uint64_t) {
    ManagerOptions client = ClientOptions();
    client.legacy_single_stream = true;
    Pair p = MakeSimPair(client);
    std::shared_ptr<Stream> first = Invoke(*p.client);
    bool second_opened = false;
    std::shared_ptr<Stream> second;
    rt::Task opener = rt::spawn("opener", [&] {
      second = Invoke(*p.client);
      second_opened = true;
    });
    UntilEveryOtherTaskParks();
    EXPECT_FALSE(second_opened) << "the second stream must wait for the first to finish";
    ServerStream in = Accept(*p.server);
    ASSERT_TRUE(first->Close().ok());
    opener.join();
    ASSERT_TRUE(second_opened);
    EXPECT_EQ(second->id(), 2u);
    EXPECT_TRUE(first->finished().is_set());
  });
}

TEST(Legacy, WaitingOpenerIsReleasedByClose) {
  ForEachSeed(kSeeds, [](uint64_t) {
    ManagerOptions client = ClientOptions();
    client.legacy_single_stream = true;
    Pair p = MakeSimPair(client);
    std::shared_ptr<Stream> first = Invoke(*p.client);
    bool returned = false;
    Status second;
    rt::Task opener = rt::spawn("opener", [&] {
      second = p.client->NewClientStream().status();
      returned = true;
    });
    UntilEveryOtherTaskParks();
    ASSERT_FALSE(returned) << "the opener must wait for the first stream";
    ASSERT_TRUE(p.client->Close().ok());
    opener.join();
    EXPECT_TRUE(second.is(ErrorKind::kClosed)) << second;
  });
}

}  // namespace
}  // namespace drpc::manager
