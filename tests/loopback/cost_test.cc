// What a connection costs, measured (the README's "What a connection
// costs" quotes these figures): the bytes an idle server connection and an
// active stream hold, by the connection's resource meter, and the threads
// an idle connection takes on the OS backend. Prints the figures and
// asserts upper bounds, so a change that makes connections dearer fails
// here and the README gets updated with it.
//
//   ctest --test-dir build/default -R LoopbackCost --output-on-failure -V
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "drpc/manager/manager.h"
#include "tests/loopback/attack_client.h"
#include "tests/loopback/loopback_server.h"
#include "tests/loopback/process_probe.h"

namespace drpc::loopback {
namespace {

using std::chrono::seconds;

// Polls `meter` until `done(snapshot)` (a bounded wait for a state).
template <class Done>
ResourceUsage WaitMeter(const ResourceMeter& meter, Done done) {
  const auto deadline = Clock::now() + seconds(5);
  ResourceUsage now = meter.Snapshot();
  while (!done(now) && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
    now = meter.Snapshot();
  }
  EXPECT_TRUE(done(now)) << now.ToString();
  return now;
}

void CallEcho(AttackClient& client, uint64_t stream_id) {
  Buffer call;
  AppendUnaryCall(call, stream_id, kEcho, "cost");
  ASSERT_EQ(client.Write(call.view(), milliseconds(1000)), AttackClient::WriteOutcome::kWritten);
  ASSERT_TRUE(client.ReadUntil(Clock::now() + seconds(5), [&] {
    return client.replies().count(stream_id) && client.replies().at(stream_id).finished();
  }));
}

TEST(LoopbackCost, IdleConnectionAndActiveStream) {
  LoopbackServer server;
  AttackClient client = AttackClient::Connect(server.port());
  ASSERT_TRUE(server.WaitConnectionsSeen(1, Clock::now() + seconds(5)));
  const std::shared_ptr<const ResourceMeter> meter = server.meter(0);
  const ResourceUsage fresh =
      WaitMeter(*meter, [](const ResourceUsage& u) { return u.tasks >= manager::kManagerTasks; });

  // Idle after one small call: its read buffer and pooled buffers exist.
  CallEcho(client, 1);
  const ResourceUsage idle = WaitMeter(*meter, [](const ResourceUsage& u) {
    return u.bytes_of(ResourceKind::kPoolLent) == 0;  // the call's buffers are back
  });

  // One active stream: a Slow call with one 1 KiB message queued, unread.
  Buffer stream;
  AppendPacket(stream, 3, 1, wire::Kind::kInvoke, AsBytes(std::string_view(kSlow)));
  AppendPacket(stream, 3, 2, wire::Kind::kMessage, AsBytes(std::string(1024, 's')));
  ASSERT_EQ(client.Write(stream.view(), milliseconds(1000)), AttackClient::WriteOutcome::kWritten);
  const ResourceUsage active = WaitMeter(*meter, [](const ResourceUsage& u) {
    return u.bytes_of(ResourceKind::kPoolLent) > 0;  // the message is queued
  });

  std::printf("connection cost (server side, resource meter):\n");
  std::printf("  fresh connection (nothing read yet): %lld bytes, %lld tasks: %s\n",
              static_cast<long long>(fresh.total_bytes()), static_cast<long long>(fresh.tasks),
              fresh.ToString().c_str());
  std::printf("  idle after one small call:           %lld bytes, %lld tasks: %s\n",
              static_cast<long long>(idle.total_bytes()), static_cast<long long>(idle.tasks),
              idle.ToString().c_str());
  std::printf("  one active stream (1 KiB queued):   +%lld bytes, +%lld tasks: %s\n",
              static_cast<long long>(active.total_bytes() - idle.total_bytes()),
              static_cast<long long>(active.tasks - idle.tasks), active.ToString().c_str());
  RecordProperty("idle_connection_bytes", static_cast<int>(idle.total_bytes()));
  RecordProperty("active_stream_bytes",
                 static_cast<int>(active.total_bytes() - idle.total_bytes()));

  // Bounds with room above today's figures (README, "What a connection
  // costs"): a change past them is a change the README must state.
  EXPECT_LE(idle.total_bytes(), 512 * 1024);
  EXPECT_LE(active.total_bytes() - idle.total_bytes(), 512 * 1024);
  server.ReleaseSlow();
}

TEST(LoopbackCost, ThreadsPerIdleConnection) {
  LoopbackServer server;
  constexpr int kConnections = 20;
  // Raw clients have no threads: every thread added is the server's.
  const int threads_before = CountThreads();
  const int64_t tasks_before = server.server().counts().tasks;
  std::vector<AttackClient> clients;
  for (int i = 0; i < kConnections; ++i) {
    clients.push_back(AttackClient::Connect(server.port()));
    CallEcho(clients.back(), 1);  // each connection has served a call and is idle again
  }
  // Tasks end asynchronously after a call: poll until the count is what it
  // settles at, a bounded wait for a state.
  const auto deadline = Clock::now() + seconds(5);
  int64_t tasks = server.server().counts().tasks;
  while (Clock::now() < deadline && CountThreads() - threads_before > tasks - tasks_before) {
    std::this_thread::sleep_for(milliseconds(5));
    tasks = server.server().counts().tasks;
  }
  const double threads_each = double(CountThreads() - threads_before) / kConnections;
  const double tasks_each = double(tasks - tasks_before) / kConnections;
  std::printf(
      "idle connections on the OS backend: %.2f threads each, %.2f tasks each (%d connections)\n",
      threads_each, tasks_each, kConnections);
  RecordProperty("threads_per_idle_connection_x100", static_cast<int>(threads_each * 100));
  EXPECT_LE(threads_each, 6.0);
}

}  // namespace
}  // namespace drpc::loopback
