// The world's links: latency in virtual time with order kept, bandwidth,
// back-pressure of the bounded buffer, and one trace per seed.
#include <gtest/gtest.h>

#include "tests/net/world_test_util.h"

namespace drpc::sim::net::test {
namespace {

using sim::testing::Describe;

TEST(WorldLinkTest, BytesArriveAfterTheLatencyInOrder) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world({.link = {.min_latency = 1ms, .max_latency = 9ms}});
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      Pair pair = Connect(world, a, b);
      const rt::TimePoint sent = rt::now();
      std::string expected;
      rt::Task writer = world.Spawn(a, "writer", [&] {
        for (int i = 0; i < 10; ++i) {
          const std::string piece = "<" + std::to_string(i) + ">";
          DRPC_ASSERT(pair.client->Write(AsBytes(piece)).ok(), "write");
        }
      });
      for (int i = 0; i < 10; ++i) expected += "<" + std::to_string(i) + ">";
      uint8_t first = 0;
      const ReadResult one = pair.server->Read(MutableBytes(&first, 1));
      DRPC_ASSERT(one.err.ok() && first == '<', "first byte");
      DRPC_ASSERT(rt::now() - sent >= 1ms, "a byte arrived before the least latency");
      const std::string rest = ReadN(*pair.server, expected.size() - 1);
      DRPC_ASSERT("<" + rest == expected, "order broken: <" + rest);
      writer.join();
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

TEST(WorldLinkTest, FixedLatencyIsExact) {
  const RunResult r = RunSeed(7, [] {
    World world({.link = {.min_latency = 5ms, .max_latency = 5ms, .chosen_reads = false}});
    const HostId a = world.AddHost("a");
    const HostId b = world.AddHost("b");
    Pair pair = Connect(world, a, b);
    const rt::TimePoint sent = rt::now();
    DRPC_ASSERT(pair.client->Write(AsBytes("ping")).ok(), "write");
    DRPC_ASSERT(ReadN(*pair.server, 4) == "ping", "read");
    DRPC_ASSERT(rt::now() - sent == 5ms,
                "arrived after " + std::to_string((rt::now() - sent).count()) + " ns");
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

TEST(WorldLinkTest, BandwidthSpreadsArrivals) {
  const RunResult r = RunSeed(3, [] {
    // 1000 bytes a second: 500 bytes take half a second to send.
    World world({.link = {.min_latency = 0ms, .max_latency = 0ms, .bytes_per_second = 1000}});
    const HostId a = world.AddHost("a");
    const HostId b = world.AddHost("b");
    Pair pair = Connect(world, a, b);
    const rt::TimePoint sent = rt::now();
    const std::string data(500, 'x');
    DRPC_ASSERT(pair.client->Write(AsBytes(data)).ok(), "write");
    DRPC_ASSERT(ReadN(*pair.server, data.size()) == data, "read");
    DRPC_ASSERT(rt::now() - sent == 500ms,
                "500 bytes at 1000 B/s took " + std::to_string((rt::now() - sent).count()));
  });
  ASSERT_TRUE(r.ok()) << Describe(r);
}

TEST(WorldLinkTest, AFullBufferBlocksTheWriter) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    const RunResult r = RunSeed(seed, [] {
      World world({.link = {.buffer_bytes = 100}});
      const HostId a = world.AddHost("a");
      const HostId b = world.AddHost("b");
      Pair pair = Connect(world, a, b);
      rt::TimePoint written;
      const std::string data(1000, 'y');
      rt::Task writer = world.Spawn(a, "writer", [&] {
        DRPC_ASSERT(pair.client->Write(AsBytes(data)).ok(), "write");
        written = rt::now();
      });
      rt::sleep_until(At(1s));  // the reader starts late
      DRPC_ASSERT(written == rt::TimePoint(), "the writer finished with nobody reading");
      DRPC_ASSERT(ReadN(*pair.server, data.size()) == data, "read");
      writer.join();
      DRPC_ASSERT(written >= At(1s), "the write ended before the reader read");
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << "\n" << Describe(r);
  }
}

TEST(WorldLinkTest, SameSeedSameTrace) {
  auto body = [] {
    World world(
        {.link = {.min_latency = 1ms, .max_latency = 20ms, .tail_one_in = 4},
         .faults = {.tick = 5ms, .until = 200ms, .reset_one_in = 3, .partition_one_in = 3}});
    const HostId a = world.AddHost("a");
    const HostId b = world.AddHost("b");
    Pair pair = Connect(world, a, b);
    rt::Task writer = world.Spawn(a, "writer", [&] {
      for (int i = 0; i < 20; ++i) {
        if (!pair.client->Write(AsBytes("0123456789")).ok()) return;
      }
    });
    Status err;
    (void)ReadN(*pair.server, 200, &err);
    (void)pair.server->Close();
    writer.join();
  };
  for (uint64_t seed = 0; seed < 10; ++seed) {
    const RunResult first = RunSeed(seed, body);
    ASSERT_TRUE(first.ok()) << Describe(first);
    EXPECT_TRUE(sim::testing::SameRun(RunSeed(seed, body), first)) << "seed " << seed;
  }
}

}  // namespace
}  // namespace drpc::sim::net::test
