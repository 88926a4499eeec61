// Issue 13's server findings over real loopback sockets: Stop bounded by
// its grace whatever the clients do, bursts admitted rather than refused,
// finished connections reaped without another accept, and task limits that
// refuse calls with a code instead of aborting, while a healthy client on
// another connection is served.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/loopback/attack_client.h"
#include "tests/loopback/loopback_server.h"
#include "tests/loopback/process_probe.h"

namespace drpc::loopback {
namespace {

using std::chrono::seconds;

int64_t ElapsedMs(Clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// The codes a refusal may carry (issue 13): never 0.
bool IsRefusalCode(uint64_t code) {
  return code == static_cast<uint64_t>(StatusCode::kResourceExhausted) ||
         code == static_cast<uint64_t>(StatusCode::kUnavailable);
}

// What Stop may take past its grace (ServerOptions documents the bound;
// this is the test's reading of "a small stated bound").
constexpr milliseconds kStopBound(1000);

// Finding: Stop is not bounded by its grace. 20 clients each have a call
// whose 4 MiB reply fills their socket, and stopped reading.
TEST(LoopbackServer, StopReturnsWithinGraceWhateverTheClients) {
  LoopbackServer server;
  constexpr int kClients = 20;
  std::vector<AttackClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(AttackClient::Connect(server.port(), {.receive_buffer = 64 * 1024}));
    Buffer call;
    AppendUnaryCall(call, 1, kBig, std::to_string(4 * kMiB));
    ASSERT_EQ(clients.back().Write(call.view(), milliseconds(1000)),
              AttackClient::WriteOutcome::kWritten);
  }
  // Every call's handler has started (and so is sending its reply).
  const auto deadline = Clock::now() + seconds(10);
  while (server.server().stats().calls_started < kClients && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_GE(server.server().stats().calls_started, static_cast<uint64_t>(kClients));

  constexpr milliseconds kGrace(200);
  const auto stop_started = Clock::now();
  server.server().Stop(kGrace);
  const int64_t took = ElapsedMs(stop_started);
  RecordProperty("stop_ms", static_cast<int>(took));
  EXPECT_LE(took, (kGrace + kStopBound).count())
      << "Stop(" << kGrace.count() << " ms) took " << took << " ms with " << kClients
      << " clients that stopped reading";
  // And it did close them: each client drains to EOF or a reset.
  for (AttackClient& client : clients) {
    EXPECT_TRUE(client.WaitServerClosed(Clock::now() + seconds(2)));
  }
}

// Finding: bursts are refused. 1000 unary calls written back to back by a
// client that reads everything get 1000 OK answers.
TEST(LoopbackServer, BurstOfUnaryCallsIsAdmitted) {
  LoopbackServer server;
  HealthyClient healthy(server.port());
  constexpr uint64_t kCalls = 1000;
  AttackClient client = AttackClient::Connect(server.port());
  Buffer calls;
  for (uint64_t s = 1; s <= kCalls; ++s) AppendUnaryCall(calls, s, kEcho, "burst");
  // Written on a thread of its own while this one reads, so neither side's
  // full socket can stop the other.
  AttackClient::WriteOutcome written = AttackClient::WriteOutcome::kClosed;
  std::thread writer([&] { written = client.Write(calls.view(), milliseconds(5000)); });
  client.ReadUntil(Clock::now() + seconds(20), [&] { return client.finished() == kCalls; });
  writer.join();
  EXPECT_EQ(written, AttackClient::WriteOutcome::kWritten);
  size_t refused = 0, refused_without_code = 0;
  std::string first_refusal;
  for (const auto& [id, replies] : client.replies()) {
    if (!replies.error) continue;
    ++refused;
    if (!IsRefusalCode(replies.error_code)) ++refused_without_code;
    if (first_refusal.empty()) {
      first_refusal = "code " + std::to_string(replies.error_code) + ": " + replies.error_text;
    }
  }
  EXPECT_EQ(client.ok(), kCalls) << refused << " refused (first: " << first_refusal << "), "
                                 << kCalls - client.finished() << " unanswered";
  EXPECT_EQ(refused_without_code, 0u)
      << "refusals must carry ResourceExhausted or Unavailable; first: " << first_refusal;
  healthy.ExpectServed();
}

// Finding: closed connections keep their descriptors until the next accept.
// After a client closes, the server's connection count and descriptors go
// back to what they were and the connection's tasks to none, with no accept
// in between.
TEST(LoopbackServer, ClosedConnectionIsReapedWithoutAnotherAccept) {
  LoopbackServer server;
  HealthyClient healthy(server.port());
  ASSERT_TRUE(healthy.WaitCalls(1, Clock::now() + seconds(5)));
  ASSERT_TRUE(server.WaitConnectionsSeen(1, Clock::now() + seconds(5)));
  const int fds_before = CountOpenFds();
  {
    AttackClient client = AttackClient::Connect(server.port());
    Buffer call;
    AppendUnaryCall(call, 1, kEcho, "once");
    ASSERT_EQ(client.Write(call.view(), milliseconds(1000)), AttackClient::WriteOutcome::kWritten);
    ASSERT_TRUE(
        client.ReadUntil(Clock::now() + seconds(5), [&] { return client.finished() == 1; }));
    EXPECT_EQ(server.server().counts().connections, 2);
  }  // the client closes its socket
  const std::shared_ptr<const ResourceMeter> closed = server.meter(1);
  ASSERT_NE(closed, nullptr);
  // A bounded wait for the state, polled: no accept happens meanwhile.
  const auto deadline = Clock::now() + seconds(3);
  while (Clock::now() < deadline &&
         (server.server().counts().connections != 1 || closed->Snapshot().tasks != 0 ||
          CountOpenFds() > fds_before)) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  const ResourceUsage after = server.server().counts();
  EXPECT_EQ(after.connections, 1) << "the closed connection is still counted";
  EXPECT_EQ(closed->Snapshot().tasks, 0) << "the closed connection's tasks are still counted";
  EXPECT_LE(CountOpenFds(), fds_before) << "the closed connection's descriptor is still open";
  EXPECT_EQ(server.server().stats().connections_accepted, 2u);
  healthy.ExpectServed();
}

// Finding: no abort when accept fails with EMFILE. Sockets made first, then
// the process's descriptor limit lowered to leave none free, then the
// sockets connected: every accept of the server fails with EMFILE. It
// retries instead of dying, keeps serving the healthy client, and accepts
// again once descriptors are free.
TEST(LoopbackServer, AcceptOutOfDescriptorsIsRetried) {
  LoopbackServer server;
  HealthyClient healthy(server.port());
  ASSERT_TRUE(healthy.WaitCalls(1, Clock::now() + seconds(5)));
  constexpr int kSockets = 8;
  std::vector<int> sockets;
  for (int i = 0; i < kSockets; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockets.push_back(fd);
  }
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit tight = saved;
  tight.rlim_cur = static_cast<rlim_t>(DescriptorLimitLeaving(0));
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : sockets) {
    // Completes in the listener's backlog, whether or not it is accepted.
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  const auto deadline = Clock::now() + seconds(5);
  while (server.server().stats().accept_retries == 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  const uint64_t retries = server.server().stats().accept_retries;
  EXPECT_TRUE(healthy.WaitCalls(2, Clock::now() + seconds(5)))
      << "the healthy client was not served while accept failed";
  for (int fd : sockets) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_GT(retries, 0u) << "no accept failed: the test did not exhaust descriptors";

  // Accepting again: a new client is served.
  AttackClient late = AttackClient::Connect(server.port());
  Buffer call;
  AppendUnaryCall(call, 1, kEcho, "late");
  ASSERT_EQ(late.Write(call.view(), milliseconds(1000)), AttackClient::WriteOutcome::kWritten);
  EXPECT_TRUE(late.ReadUntil(Clock::now() + seconds(5), [&] { return late.ok() == 1; }))
      << "the server did not accept again once descriptors were free";
  healthy.ExpectServed();
}

// Writes `calls` Stuck calls on one connection and reads until at least
// `want_refused` of them were refused (or 5 s passed).
void FloodStuckCalls(AttackClient& client, uint64_t calls, size_t want_refused) {
  Buffer buffer;
  for (uint64_t s = 1; s <= calls; ++s) AppendUnaryCall(buffer, s, kStuck, "stuck");
  ASSERT_EQ(client.Write(buffer.view(), milliseconds(1000)), AttackClient::WriteOutcome::kWritten);
  client.ReadUntil(Clock::now() + seconds(5), [&] { return client.finished() >= want_refused; });
}

// Refused Stuck calls must carry ResourceExhausted (Stuck never ends by
// itself: every finished one was refused).
void ExpectRefusedWithResourceExhausted(const AttackClient& client, size_t want_refused) {
  size_t exhausted = 0;
  for (const auto& [id, replies] : client.replies()) {
    if (!replies.finished()) continue;
    EXPECT_EQ(replies.error_code, static_cast<uint64_t>(StatusCode::kResourceExhausted))
        << "stream " << id << ": " << replies.error_text;
    if (replies.error_code == static_cast<uint64_t>(StatusCode::kResourceExhausted)) ++exhausted;
  }
  EXPECT_GE(exhausted, want_refused) << "calls over the task limit were not refused";
}

// Finding: a task cannot be started -> abort(). One connection's task
// budget (ManagerOptions::budget.max_tasks) and twice as many stuck calls:
// the calls over it get ResourceExhausted; the server serves on.
TEST(LoopbackServer, CallsOverConnectionTaskBudgetAreRefused) {
  constexpr size_t kConnectionTasks = 16;
  rpc::ServerOptions options;
  options.manager.budget.max_tasks = kConnectionTasks;
  LoopbackServer server(options);
  HealthyClient healthy(server.port());
  ASSERT_TRUE(healthy.WaitCalls(1, Clock::now() + seconds(5)));
  AttackClient attacker = AttackClient::Connect(server.port());
  constexpr uint64_t kCalls = 2 * kConnectionTasks;
  FloodStuckCalls(attacker, kCalls, kCalls - kConnectionTasks);
  ExpectRefusedWithResourceExhausted(attacker, kCalls - kConnectionTasks);
  EXPECT_LE(server.stuck_peak(), static_cast<int>(kConnectionTasks));
  EXPECT_TRUE(healthy.WaitCalls(2, Clock::now() + seconds(5)));
  attacker.Close();
  healthy.ExpectServed();
}

// The same for the whole server (ServerOptions::max_tasks): twice as many
// stuck calls as the server may run tasks. The calls over it get
// ResourceExhausted, the server's tasks stay within the limit, and the
// healthy client (connected first, its tasks already running) is served.
TEST(LoopbackServer, CallsOverServerTaskLimitAreRefused) {
  constexpr size_t kServerTasks = 32;
  rpc::ServerOptions options;
  options.max_tasks = kServerTasks;
  LoopbackServer server(options);
  HealthyClient healthy(server.port());
  ASSERT_TRUE(healthy.WaitCalls(1, Clock::now() + seconds(5)));
  AttackClient attacker = AttackClient::Connect(server.port());
  constexpr uint64_t kCalls = 2 * kServerTasks;
  FloodStuckCalls(attacker, kCalls, kCalls - kServerTasks);
  ExpectRefusedWithResourceExhausted(attacker, kCalls - kServerTasks);
  EXPECT_LE(server.server().counts().tasks, static_cast<int64_t>(kServerTasks));
  EXPECT_TRUE(healthy.WaitCalls(2, Clock::now() + seconds(5)));
  attacker.Close();
  healthy.ExpectServed();
}

}  // namespace
}  // namespace drpc::loopback
