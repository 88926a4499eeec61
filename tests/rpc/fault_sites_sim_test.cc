// The rpc layer under the library's fault sites (docs/faults.md), in the
// simulator: each site fires only when the run enables it; a task that
// cannot be started fails its connection's calls with a code, never aborts,
// and the server goes on serving the next connection.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "sim/net/listener.h"
#include "sim/net/pipe.h"
#include "sim/sched/fault_config.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"
#include "tests/rpc/scripted_listener.h"
#include "tests/rpc/test_service.h"

namespace drpc::rpc::testing {
namespace {

sim::RunOptions WithFaults(const char* text) {
  std::string error;
  sim::RunOptions options;
  options.faults = sim::FaultConfig::Parse(text, error).value();
  return options;
}

uint64_t FaultChoices(const sim::RunResult& r) {
  uint64_t n = 0;
  for (const sim::ChoiceRecord& c : r.choice_log) n += c.kind == sim::ChoiceKind::kFault;
  return n;
}

// One echo call over a scripted listener; the server's accept retries.
sim::RunResult OneCall(uint64_t seed, const sim::RunOptions& options, uint64_t& retries) {
  sim::RandomSource decisions(seed);
  return sim::Run(decisions, options, [&] {
    TestService service;
    ServerOptions server_options;
    server_options.accept_backoff_initial = std::chrono::milliseconds(1);
    Server server(service.mux, server_options);
    ScriptedListener listener;
    sim::net::PipeEnds ends = sim::net::MakePipe();
    listener.Push(std::move(ends.b));
    Status served;
    rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
    Conn conn(std::move(ends.a));
    Reply reply;
    const Status call = conn.Invoke(kEcho, MakeRequest("hi"), reply);
    EXPECT_TRUE(call.ok()) << call;
    EXPECT_EQ(reply.text(), "hi");
    (void)conn.Close();
    server.Stop(std::chrono::milliseconds(0));
    serving.join();
    EXPECT_TRUE(served.ok()) << served;
    retries = server.stats().accept_retries;
  });
}

TEST(RpcFaultSites, AcceptErrorsAndShortWritesOnlyWhenEnabled) {
  uint64_t retries_on = 0;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    uint64_t retries = 0;
    const sim::RunResult off = OneCall(seed, sim::RunOptions{}, retries);
    ASSERT_TRUE(off.ok()) << off.report;
    EXPECT_EQ(retries, 0u);
    EXPECT_EQ(FaultChoices(off), 0u) << "a run without faults asks no fault decision";
    const sim::RunResult on = OneCall(seed, WithFaults("rpc.accept-error:2"), retries);
    ASSERT_TRUE(on.ok()) << on.report;
    retries_on += retries;
    // Short writes: the calls still succeed (checked inside), and the
    // writers' site asked.
    const sim::RunResult short_writes = OneCall(seed, WithFaults("manager.short-write:1"), retries);
    ASSERT_TRUE(short_writes.ok()) << short_writes.report;
    EXPECT_GT(FaultChoices(short_writes), 0u) << "seed " << seed;
    EXPECT_EQ(retries, 0u);
  }
  EXPECT_GT(retries_on, 5u) << "one in 2 accepts should fail over 20 seeds";
}

TEST(RpcFaultSites, ATaskThatCannotStartFailsItsConnectionWithACode) {
  uint64_t coded = 0, served_after_failure = 0, failed_calls = 0, ok_calls = 0;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    sim::RandomSource decisions(seed);
    const sim::RunResult r = sim::Run(decisions, WithFaults("rt.spawn-failure:3"), [&] {
      TestService service;
      Server server(service.mux);
      sim::net::Listener listener;
      Status served;
      rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
      bool failed = false;
      // A fresh connection per call: each may lose a task of its own.
      for (int i = 0; i < 8; ++i) {
        Result<sim::net::Dialed> dialed = listener.Dial();
        ASSERT_TRUE(dialed.ok()) << dialed.status();
        Conn conn(std::move(dialed->transport));
        Reply reply;
        const Status st = conn.Invoke(kEcho, MakeRequest("hi"), reply);
        if (st.ok()) {
          ++ok_calls;
          EXPECT_EQ(reply.text(), "hi");
          served_after_failure += failed;
        } else {
          ++failed_calls;
          failed = true;
          // The task's error, or the connection it ended as seen from the
          // other side: never a code-less refusal, never an abort.
          const bool code = st.code() == StatusCode::kResourceExhausted;
          coded += code;
          EXPECT_TRUE(code || st.is(ErrorKind::kClosed) || st.is(ErrorKind::kEof) ||
                      st.is(ErrorKind::kConnection))
              << "seed " << seed << ": " << st;
        }
        (void)conn.Close();
      }
      server.Stop(std::chrono::milliseconds(0));
      serving.join();
      EXPECT_TRUE(served.ok()) << "seed " << seed << ": the server stopped serving: " << served;
    });
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.report << r.trace_tail;
  }
  EXPECT_GT(coded, 0u) << "no call failed with ResourceExhausted";
  EXPECT_GT(served_after_failure, 0u) << "no call succeeded after a failed one";
  EXPECT_GT(ok_calls, 0u);
  EXPECT_GT(failed_calls, 0u);
}

// A Server that cannot start its accept task closes the listener it took:
// nothing will ever accept on it, so a connect must be refused rather than
// queued at a server that never serves it.
TEST(RpcFaultSites, AServerThatCannotStartClosesItsListener) {
  sim::RandomSource decisions(0);
  const sim::RunResult r = sim::Run(decisions, WithFaults("rt.spawn-failure:1"), [&] {
    TestService service;
    Server server(service.mux);
    auto listener = std::make_unique<sim::net::Listener>();
    sim::net::Listener& raw = *listener;
    const Status started = server.Start(std::move(listener));
    EXPECT_EQ(started.code(), StatusCode::kResourceExhausted) << started;
    Result<sim::net::Dialed> dialed = raw.Dial();
    EXPECT_FALSE(dialed.ok()) << "a connect queued at a server that failed to start";
    EXPECT_EQ(server.Wait().code(), StatusCode::kResourceExhausted);
  });
  ASSERT_TRUE(r.ok()) << r.report << r.trace_tail;
}

}  // namespace
}  // namespace drpc::rpc::testing
