// The simulator's Listener (sim/net/listener.h): Dial hands Accept the
// other end of a pipe, Close wakes Accept and refuses later Dials, the
// backlog is bounded, and injected accept errors are temporary.
#include <gtest/gtest.h>

#include <string>

#include "drpc/rt/listener.h"
#include "drpc/rt/task.h"
#include "sim/net/listener.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

namespace drpc::sim::net {
namespace {

RunResult RunSim(uint64_t seed, FunctionRef<void()> body) {
  RandomSource decisions(seed);
  return Run(decisions, RunOptions{}, body);
}

TEST(SimListenerTest, DialAndAcceptConnectTheTwoEnds) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RunResult r = RunSim(seed, [] {
      Listener listener;
      std::string got;
      rt::Task server = rt::spawn("server", [&] {
        Result<std::unique_ptr<rt::Transport>> t = listener.Accept();
        DRPC_ASSERT(t.ok(), t.status().ToString());
        uint8_t buf[16];
        // Reads may be cut anywhere: read until both bytes are in.
        while (got.size() < 2) {
          const ReadResult rr = (*t)->Read(MutableBytes(buf, sizeof(buf)));
          got.append(reinterpret_cast<const char*>(buf), rr.n);
          DRPC_ASSERT(rr.err.ok(), rr.err.ToString());
        }
      });
      Result<Dialed> dialed = listener.Dial();
      DRPC_ASSERT(dialed.ok(), dialed.status().ToString());
      DRPC_ASSERT(dialed->transport->Write(AsBytes("hi")).ok(), "write");
      server.join();
      DRPC_ASSERT(got == "hi", "got '" + got + "'");
      DRPC_ASSERT(listener.dialed() == 1, "one dial");
    });
    ASSERT_TRUE(r.ok()) << r.report << r.trace_tail;
  }
}

TEST(SimListenerTest, CloseWakesAcceptAndRefusesDials) {
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RunResult r = RunSim(seed, [] {
      Listener listener;
      Status accepted;
      rt::Task server = rt::spawn("server", [&] { accepted = listener.Accept().status(); });
      DRPC_ASSERT(listener.Close().ok(), "close");
      DRPC_ASSERT(listener.Close().ok(), "close is idempotent");
      server.join();
      DRPC_ASSERT(accepted.is(ErrorKind::kClosed), accepted.ToString());
      DRPC_ASSERT(listener.Dial().status().is(ErrorKind::kConnection), "dial after close");
    });
    ASSERT_TRUE(r.ok()) << r.report << r.trace_tail;
  }
}

TEST(SimListenerTest, QueuedConnectionsAreClosedByCloseAndTheBacklogIsBounded) {
  const RunResult r = RunSim(1, [] {
    Listener listener({.pipe = {}, .backlog = 2, .accept_error_one_in = 0});
    Result<Dialed> a = listener.Dial();
    Result<Dialed> b = listener.Dial();
    DRPC_ASSERT(a.ok() && b.ok(), "two dials fit");
    DRPC_ASSERT(listener.Dial().status().is(ErrorKind::kConnection), "the third is refused");
    DRPC_ASSERT(listener.Close().ok(), "close");
    // The dialer of a connection nobody accepted reads EOF.
    uint8_t buf[4];
    const ReadResult rr = a->transport->Read(MutableBytes(buf, sizeof(buf)));
    DRPC_ASSERT(rr.n == 0 && rr.err.is(ErrorKind::kEof), rr.err.ToString());
  });
  ASSERT_TRUE(r.ok()) << r.report << r.trace_tail;
}

TEST(SimListenerTest, InjectedAcceptErrorsAreTemporary) {
  uint64_t injected = 0;
  for (uint64_t seed = 0; seed < 50; ++seed) {
    const RunResult r = RunSim(seed, [&] {
      Listener listener({.pipe = {}, .backlog = 4, .accept_error_one_in = 2});
      Result<Dialed> dialed = listener.Dial();
      DRPC_ASSERT(dialed.ok(), "dial");
      // Retried until the connection comes out; each failure is temporary.
      for (int i = 0; i < 1000; ++i) {
        Result<std::unique_ptr<rt::Transport>> t = listener.Accept();
        if (t.ok()) break;
        DRPC_ASSERT(rt::IsTemporaryAcceptError(t.status()), t.status().ToString());
      }
      injected += listener.accept_errors_injected();
    });
    ASSERT_TRUE(r.ok()) << r.report << r.trace_tail;
  }
  EXPECT_GT(injected, 0u);
}

}  // namespace
}  // namespace drpc::sim::net
