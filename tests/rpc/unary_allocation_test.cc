// Steady-state allocations of a unary call (issue 15: "0 allocations per
// message in steady state"): sequential calls on one warm rpc::Conn to a
// server connection over TCP loopback (OS backend), counted over the whole
// process, both ends, by replacing the global operator new in this binary
// (tests/common/counting_new.h; so it has a binary of its own). What each
// end recycles and its bounds: docs/resources.md, "Recycled per call".
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/manager/manager.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/task.h"
#include "tests/common/counting_new.h"

namespace drpc::rpc {
namespace {

// Longer than a std::string's inline storage (15 bytes), as most rpc names
// are, so the server's copy of the name is on the heap unless recycled.
constexpr char kEcho[] = "/drpc.test.Allocations/Echo";

// The server end of one connection, on one task: it accepts each stream,
// echoes its request and ends it as rpc::Server's RunCall does, handing
// each call back (Manager::NewServerStream(deadline, done): its rpc name's
// and metadata's storage) as rpc::Server's workers do. Not rpc::Server itself: its worker pool
// starts a task now and then, when a reply reaches the client before its
// worker is back waiting (under load, for a while on end: about 2
// allocations a call in one run of 30 on a loaded machine), which is the
// pool's scheduling, not what a call allocates; bench_rpc's BM_Unary
// measures the two together.
class EchoServer {
 public:
  explicit EchoServer(std::unique_ptr<rt::Transport> transport)
      : manager_(std::move(transport), {.role = manager::Role::kServer, .name = "server"}),
        task_(rt::spawn("test.echo", [this] { Serve(); })) {}
  ~EchoServer() {
    (void)manager_.Close();
    task_.join();
  }

 private:
  void Serve() {
    manager::ServerStream done;
    std::string request;
    for (;;) {
      Result<manager::ServerStream> next =
          manager_.NewServerStream(rt::kNoDeadline, std::move(done));
      if (!next.ok()) return;  // the connection closed
      stream::Stream& s = *next->stream;
      Status st = next->rpc == kEcho ? s.MsgRecv(request, stream::BytesCodec{})
                                     : InvalidArgumentError("unknown rpc " + next->rpc);
      if (st.ok()) st = s.MsgSendAndCloseSend(request, stream::BytesCodec{});
      if (!st.ok()) (void)s.SendError(st);
      done = std::move(*next);
    }
  }

  manager::Manager manager_;
  rt::Task task_;
};

// An echo server and one client connection to it over TCP loopback.
class EchoOverTcp {
 public:
  EchoOverTcp() {
    Result<std::unique_ptr<rt::os::TcpListener>> listener =
        rt::os::TcpListener::Listen("127.0.0.1", 0);
    DRPC_ASSERT(listener.ok(), listener.status().ToString());
    Result<std::unique_ptr<rt::Transport>> dialed =
        rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
    DRPC_ASSERT(dialed.ok(), dialed.status().ToString());
    Result<std::unique_ptr<rt::Transport>> accepted = (*listener)->Accept();
    DRPC_ASSERT(accepted.ok(), accepted.status().ToString());
    server_.emplace(std::move(*accepted));
    conn_.emplace(std::move(*dialed));
  }
  ~EchoOverTcp() {
    (void)conn_->Close();
    server_.reset();
  }

  Conn& conn() { return *conn_; }

 private:
  std::optional<EchoServer> server_;
  std::optional<Conn> conn_;
};

// Makes `warm` calls, then `rounds` rounds of `calls` calls each; returns
// the allocations counted in each round.
std::vector<uint64_t> AllocationsOfUnaryCalls(const std::string& request, int warm, int rounds,
                                              int calls, const CallOptions& options = {}) {
  std::vector<uint64_t> counted(static_cast<size_t>(rounds));
  // Every caller is an rt task (on the fiber backend, a fiber).
  rt::spawn("test.caller", [&] {
    EchoOverTcp rpc;
    std::string reply;
    reply.reserve(request.size());
    for (int i = 0; i < warm; ++i) {
      ASSERT_TRUE(rpc.conn().Invoke(kEcho, request, reply, options).ok());
    }
    for (int round = 0; round < rounds; ++round) {
      drpc::testing::StartCountingAllocations();
      for (int i = 0; i < calls; ++i) {
        const Status st = rpc.conn().Invoke(kEcho, request, reply, options);
        if (!st.ok() || reply != request) {
          (void)drpc::testing::StopCountingAllocations();
          FAIL() << "round " << round << " call " << i << ": " << st.ToString();
        }
      }
      counted[static_cast<size_t>(round)] = drpc::testing::StopCountingAllocations();
    }
  }).join();
  return counted;
}

constexpr int kRounds = 10;
constexpr int kCalls = 20;

// Prints the rounds' allocations and checks them: nothing per call, in most
// rounds. What a round may still see, once and never per call: a stream
// whose last reference goes on the reader task just after the next call
// began leaves that call without a kept block (a new peak: one more block
// and marshal buffer, then both circulate), and the runtime's I/O layer
// caches an operation's memory per worker thread the first time. So: the
// median round allocates nothing, and the whole run less than one
// allocation a call.
void ExpectNothingPerCall(const char* what, const std::vector<uint64_t>& rounds) {
  const uint64_t total = std::accumulate(rounds.begin(), rounds.end(), uint64_t{0});
  std::string each;
  for (uint64_t n : rounds) each += " " + std::to_string(n);
  std::printf("%s, both ends: %llu allocations in %d calls (%.3f a call); by round of %d:%s\n",
              what, static_cast<unsigned long long>(total), kRounds * kCalls,
              static_cast<double>(total) / (kRounds * kCalls), kCalls, each.c_str());
  std::vector<uint64_t> sorted = rounds;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted[sorted.size() / 2], 0u) << what << ", rounds:" << each;
  EXPECT_LT(total, static_cast<uint64_t>(kRounds * kCalls)) << what << ", rounds:" << each;
}

// 8 bytes: the request and the reply fit a std::string without a heap
// allocation, so what is counted is drpc's own (client and server). Before
// issue 15: about 15 a call in a checked build, 9 in a release one.
TEST(UnaryAllocations, ASequentialUnaryCallAllocatesNothingOnceWarm) {
  ExpectNothingPerCall("unary call, 8 B",
                       AllocationsOfUnaryCalls(std::string(8, 'x'), 50, kRounds, kCalls));
}

// With metadata (two entries, three of their strings longer than a
// std::string's inline storage): the server decodes it into a map the
// connection recycles (its nodes and their strings), so it allocates
// nothing per call either. Decoded into a new map it was 6 allocations a
// call here (2 nodes, 3 strings, the pending-invoke entry).
TEST(UnaryAllocations, ACallWithMetadataAllocatesNothingOnceWarm) {
  const CallOptions options{.metadata = {{"authorization", "Bearer 0123456789abcdef0123"},
                                         {"x-request-origin-service", "drpc.test.caller"}}};
  ExpectNothingPerCall("unary call with metadata, 8 B",
                       AllocationsOfUnaryCalls(std::string(8, 'x'), 50, kRounds, kCalls, options));
}

}  // namespace
}  // namespace drpc::rpc
