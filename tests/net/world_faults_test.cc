// The world's faults, called directly and drawn from the tape: reset,
// half-open, partition and heal, refused connects, a full backlog, crash
// and restart, slow readers.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/sched/fault_config.h"
#include "tests/net/world_test_util.h"

namespace drpc::sim::net::test {
namespace {

using sim::testing::Describe;

TEST(WorldFaultsTest, ResetFailsBothEnds) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world;
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      Pair pair = Connect(world, a, b);
      Status client_read;
      rt::Task reader =
          world.Spawn(a, "reader", [&] { (void)ReadN(*pair.client, 1, &client_read); });
      world.Reset(a, b);
      Status server_read;
      (void)ReadN(*pair.server, 1, &server_read);
      reader.join();
      DRPC_ASSERT(client_read.is(ErrorKind::kClosed), client_read.ToString());
      DRPC_ASSERT(server_read.is(ErrorKind::kClosed), server_read.ToString());
      DRPC_ASSERT(world.stats().resets == 1, "one reset");
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

TEST(WorldFaultsTest, HalfOpenPeerReadsBlockUntilItGivesUp) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world({.link = {.buffer_bytes = 64}});
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      Pair pair = Connect(world, a, b);
      world.HalfOpen(b, a);  // the server's end vanishes
      // The vanished end itself fails at once.
      Status server_read;
      (void)ReadN(*pair.server, 1, &server_read);
      DRPC_ASSERT(server_read.is(ErrorKind::kClosed), server_read.ToString());
      (void)pair.server->Close();  // tells the client nothing
      // The client's writes go into the void until the buffer is full.
      DRPC_ASSERT(pair.client->Write(AsBytes(std::string(64, 'z'))).ok(), "write into the void");
      bool read_returned = false;
      Status client_read;
      rt::Task reader = world.Spawn(a, "reader", [&] {
        (void)ReadN(*pair.client, 1, &client_read);
        read_returned = true;
      });
      rt::sleep_until(At(10s));  // nothing comes, no EOF, no reset
      DRPC_ASSERT(!read_returned, "a half-open peer's read returned: " + client_read.ToString());
      (void)pair.client->Close();  // the client's own deadline gives up
      reader.join();
      DRPC_ASSERT(client_read.is(ErrorKind::kClosed), client_read.ToString());
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

TEST(WorldFaultsTest, PartitionHoldsBytesAndConnectsUntilHeal) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world({.link = {.min_latency = 1ms, .max_latency = 2ms}});
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      Pair pair = Connect(world, a, b);
      world.Partition({a}, {b});
      DRPC_ASSERT(pair.client->Write(AsBytes("held")).ok(), "write");
      // A connect across the cut times out at its deadline.
      rt::Task dial = world.Spawn(a, "dial", [&] {
        const rt::TimePoint deadline = rt::now() + 100ms;
        Result<std::unique_ptr<rt::Transport>> t = rt::Connect("b:1", deadline);
        DRPC_ASSERT(t.status().is(ErrorKind::kDeadlineExceeded), t.status().ToString());
        DRPC_ASSERT(rt::now() == deadline, "the connect gave up at its deadline");
      });
      rt::Task healer = rt::spawn("healer", [&] {
        rt::sleep_until(At(1s));
        world.Heal();
      });
      DRPC_ASSERT(ReadN(*pair.server, 4) == "held", "read");
      DRPC_ASSERT(rt::now() >= At(1s), "bytes crossed a partition");
      dial.join();
      healer.join();
      DRPC_ASSERT(world.stats().timed_out == 1, "one connect timed out");
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

TEST(WorldFaultsTest, ConnectRefusedWithoutListenerAndWhenBacklogIsFull) {
  const RunResult r = RunSeed(1, [] {
    World world({.backlog = 1});
    const HostId a = world.AddHost("a");
    world.AddHost("b");
    rt::Task dial = world.Spawn(a, "dial", [&] {
      DRPC_ASSERT(rt::Connect("b:9").status().is(ErrorKind::kConnection), "no listener");
      DRPC_ASSERT(rt::Connect("nowhere:9").status().is(ErrorKind::kConnection), "no host");
      DRPC_ASSERT(rt::Connect("b").status().is(ErrorKind::kInvalidArgument), "no port");
    });
    dial.join();
    Result<std::unique_ptr<rt::Listener>> listener = rt::Listen("b:9");
    DRPC_ASSERT(listener.ok(), listener.status().ToString());
    DRPC_ASSERT(rt::Listen("b:9").status().is(ErrorKind::kConnection), "address in use");
    rt::Task dial2 = world.Spawn(a, "dial2", [&] {
      Result<std::unique_ptr<rt::Transport>> first = rt::Connect("b:9");
      DRPC_ASSERT(first.ok(), first.status().ToString());
      // Nobody accepts: the backlog of one is full.
      Result<std::unique_ptr<rt::Transport>> second = rt::Connect("b:9");
      DRPC_ASSERT(second.status().is(ErrorKind::kConnection), second.status().ToString());
    });
    dial2.join();
    DRPC_ASSERT(world.stats().refused == 2, std::to_string(world.stats().refused));
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

TEST(WorldFaultsTest, CrashKillsTheHostAndRestartResetsItsOldConnections) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world;
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      Pair pair = Connect(world, a, b);
      bool accept_returned = false;
      rt::Task acceptor = world.Spawn(b, "acceptor", [&] {
        (void)pair.listener->Accept();
        accept_returned = true;
      });
      Status client_read;
      rt::Task reader =
          world.Spawn(a, "reader", [&] { (void)ReadN(*pair.client, 1, &client_read); });
      world.Crash(b);
      acceptor.join();  // killed where it stood: the join returns, the task never did
      DRPC_ASSERT(!accept_returned, "a task of a crashed host ran on");
      DRPC_ASSERT(world.stats().crashes == 1, "one crash");
      // While b is down, a connect to it times out.
      rt::Task dial = world.Spawn(a, "dial", [&] {
        Result<std::unique_ptr<rt::Transport>> t = rt::Connect("b:1", rt::now() + 50ms);
        DRPC_ASSERT(t.status().is(ErrorKind::kDeadlineExceeded), t.status().ToString());
      });
      dial.join();
      world.Restart(b);
      reader.join();  // the old connection resets at the restart
      DRPC_ASSERT(client_read.is(ErrorKind::kClosed), client_read.ToString());
      // The same address serves again.
      pair.listener.reset();
      Pair again = Connect(world, a, b);
      DRPC_ASSERT(again.client->Write(AsBytes("hi")).ok(), "write");
      DRPC_ASSERT(ReadN(*again.server, 2) == "hi", "read");
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

TEST(WorldFaultsTest, AHostCannotListenWhileDown) {
  const RunResult r = RunSeed(4, [] {
    World world;
    const HostId b = world.AddHost("b");
    world.Crash(b);
    DRPC_ASSERT(rt::Listen("b:1").status().is(ErrorKind::kConnection), "listen while down");
    world.Restart(b);
    DRPC_ASSERT(rt::Listen("b:1").ok(), "listen after restart");
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

TEST(WorldFaultsTest, SlowReaderTakesLittleAtATime) {
  const RunResult r = RunSeed(2, [] {
    World world({.link = {.min_latency = 0ms, .max_latency = 0ms, .chosen_reads = false},
                 .faults = {.slow_read_delay = 5ms, .slow_read_bytes = 16}});
    const HostId a = world.AddHost("a");
    const HostId b = world.AddHost("b");
    Pair pair = Connect(world, a, b);
    world.SlowReader(b, a);
    DRPC_ASSERT(pair.client->Write(AsBytes(std::string(64, 's'))).ok(), "write");
    const rt::TimePoint start = rt::now();
    uint8_t buf[64];
    size_t total = 0;
    int reads = 0;
    while (total < 64) {
      const ReadResult rr = pair.server->Read(MutableBytes(buf, sizeof(buf)));
      DRPC_ASSERT(rr.err.ok() && rr.n <= 16, "a slow read took " + std::to_string(rr.n));
      total += rr.n;
      ++reads;
    }
    DRPC_ASSERT(reads == 4 && rt::now() - start == 20ms, "four reads, 5 ms each");
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

// Every drawn fault kind fires on some seed, and a run with them all ends.
TEST(WorldFaultsTest, DrawnFaultsFire) {
  WorldStats total;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    WorldStats stats;
    const RunResult r = RunSeed(seed, [&] {
      World world({.faults = {.tick = 1ms,
                              .until = 50ms,
                              .reset_one_in = 4,
                              .half_open_one_in = 4,
                              .partition_one_in = 4,
                              .crash_one_in = 4,
                              .refuse_one_in = 3,
                              .slow_reader_one_in = 2}});
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      // b's program listens and accepts until shutdown; crashes kill it and
      // restarts run it again.
      world.Boot(b, "b.serve", [](Lifetime& life) {
        Result<std::unique_ptr<rt::Listener>> listener = rt::Listen("b:1");
        DRPC_ASSERT(listener.ok(), listener.status().ToString());
        rt::Task accepting = rt::spawn("b.accept", [&] {
          std::vector<std::unique_ptr<rt::Transport>> accepted;
          for (;;) {
            Result<std::unique_ptr<rt::Transport>> t = (*listener)->Accept();
            if (!t.ok()) return;
            accepted.push_back(std::move(*t));
          }
        });
        life.WaitForShutdown();
        (void)(*listener)->Close();
        accepting.join();
      });
      rt::Task dial = world.Spawn(a, "dial", [&] {
        for (int i = 0; i < 5; ++i) {
          Result<std::unique_ptr<rt::Transport>> t = rt::Connect("b:1", rt::now() + 5ms);
          if (t.ok()) (void)(*t)->Write(AsBytes("x"));
          rt::sleep_for(10ms);
        }
      });
      dial.join();
      rt::sleep_until(At(60ms));
      stats = world.stats();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
    total.refused += stats.refused;
    total.resets += stats.resets;
    total.half_opens += stats.half_opens;
    total.partitions += stats.partitions;
    total.crashes += stats.crashes;
    total.slow_readers += stats.slow_readers;
  }
  EXPECT_GT(total.refused, 0u);
  EXPECT_GT(total.resets, 0u);
  EXPECT_GT(total.half_opens, 0u);
  EXPECT_GT(total.partitions, 0u);
  EXPECT_GT(total.crashes, 0u);
  EXPECT_GT(total.slow_readers, 0u);
}

// The run's fault configuration (fault_config.h) switches on the World's
// drawn faults on top of FaultOptions: a world kind that is on fires and is
// counted; off, the same world draws none.
TEST(WorldFaultsTest, ConfiguredWorldKindsFireAndAreOffOtherwise) {
  auto resets_and_refusals = [](const FaultConfig& faults, uint64_t seed) {
    WorldStats seen;
    RandomSource decisions(seed);
    RunOptions options;
    options.faults = faults;
    const RunResult r = sim::Run(decisions, options, [&] {
      World world({.faults = {.tick = 1ms, .until = 50ms}});
      const HostId a = world.AddHost("a");
      (void)world.AddHost("b");
      Result<std::unique_ptr<rt::Listener>> listener = rt::Listen("b:1");
      DRPC_ASSERT(listener.ok(), listener.status().ToString());
      // Connections for resets to pick (they wait in the backlog), and
      // connects for refusals.
      std::vector<std::unique_ptr<rt::Transport>> ends;
      rt::Task dial = world.Spawn(a, "dial", [&] {
        for (int i = 0; i < 8; ++i) {
          Result<std::unique_ptr<rt::Transport>> t = rt::Connect("b:1", rt::now() + 1ms);
          if (t.ok()) ends.push_back(std::move(*t));
        }
      });
      dial.join();
      rt::sleep_until(At(60ms));
      seen = world.stats();
      world.Shutdown();
    });
    EXPECT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
    return seen;
  };
  std::string error;
  const FaultConfig on = FaultConfig::Parse("net.reset:2,net.refused:2", error).value();
  uint64_t resets = 0;
  uint64_t refused = 0;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const WorldStats with = resets_and_refusals(on, seed);
    resets += with.resets;
    refused += with.refused;
    const WorldStats without = resets_and_refusals(FaultConfig{}, seed);
    EXPECT_EQ(without.resets, 0u) << "seed " << seed;
    EXPECT_EQ(without.refused, 0u) << "seed " << seed;
    EXPECT_EQ(without.partitions + without.crashes + without.half_opens, 0u);
  }
  EXPECT_GT(resets, 0u) << "net.reset:2 never fired";
  EXPECT_GT(refused, 0u) << "net.refused:2 never fired";
}

}  // namespace
}  // namespace drpc::sim::net::test
