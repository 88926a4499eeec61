// Legacy (one stream at a time) mode: a call waiting for the slot ends at
// its deadline with kDeadlineExceeded, and at its token's cancel with the
// token's error, instead of waiting for the previous call to finish. Exact
// in the simulator: virtual time says when the wait ended. The seeds run
// through the public gtest integration (sim/gtest/sim_test.h), so a failing
// seed prints its replay line.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>

#include "drpc/manager/manager.h"
#include "drpc/rpc/cancel.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/rt.h"
#include "sim/gtest/sim_test.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"

namespace drpc::rpc {
namespace {

using ::drpc::testing::UntilEveryOtherTaskParks;

manager::ManagerOptions ServerOptions() {
  manager::ManagerOptions options;
  options.role = manager::Role::kServer;
  return options;
}

ConnOptions Legacy() {
  ConnOptions options;
  options.manager.legacy_single_stream = true;
  return options;
}

// A legacy client whose slot a first call holds (the server accepted it and
// never answers), so every other call waits for the slot.
struct HeldSlot {
  sim::net::PipeEnds ends = sim::net::MakePipe({});
  manager::Manager server{std::move(ends.b), ServerOptions()};
  Conn conn{std::move(ends.a), Legacy()};
  Result<ClientStream<std::string, std::string>> first =
      conn.NewStream<std::string, std::string>("/x.Y/First");
  Result<manager::ServerStream> accepted = server.NewServerStream();

  // The first call ends; the slot is free again. Then a fresh call must get
  // it: a waiter that gave up must not have kept a claim on it.
  void ReleaseAndCheckTheSlotIsFree() {
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first->Close().ok());
    (void)accepted->stream->Close();
    Result<ClientStream<std::string, std::string>> next =
        conn.NewStream<std::string, std::string>("/x.Y/Next");
    ASSERT_TRUE(next.ok()) << next.status();
    Result<manager::ServerStream> in = server.NewServerStream();
    ASSERT_TRUE(in.ok()) << in.status();
    EXPECT_EQ(in->rpc, "/x.Y/Next");
    (void)next->Close();
    (void)in->stream->Close();
  }
};

TEST(LegacyWaitForTheSlot, EndsAtTheDeadline) {
  sim::ForEachSeed({.count = 30}, [] {
    HeldSlot held;
    ASSERT_TRUE(held.first.ok()) << held.first.status();
    ASSERT_TRUE(held.accepted.ok()) << held.accepted.status();
    const rt::TimePoint deadline = DeadlineAfter(std::chrono::milliseconds(5));
    std::string reply;
    const Status st =
        held.conn.Invoke("/x.Y/Second", std::string("hi"), reply, {.deadline = deadline});
    EXPECT_EQ(st, DeadlineExceededError());
    EXPECT_EQ(rt::now(), deadline) << "the wait did not end at the deadline";
    held.ReleaseAndCheckTheSlotIsFree();
  });
}

TEST(LegacyWaitForTheSlot, EndsAtTheCancel) {
  sim::ForEachSeed({.count = 30}, [] {
    HeldSlot held;
    ASSERT_TRUE(held.first.ok()) << held.first.status();
    ASSERT_TRUE(held.accepted.ok()) << held.accepted.status();
    CancelToken token;
    Status st;
    rt::Task waiter = rt::spawn("waiter", [&] {
      std::string reply;
      st = held.conn.Invoke("/x.Y/Second", std::string("hi"), reply, {.cancel = token});
    });
    UntilEveryOtherTaskParks();  // the waiter waits for the slot
    const rt::TimePoint canceled_at = rt::now();
    token.Cancel();
    waiter.join();
    EXPECT_EQ(st, CanceledError());
    EXPECT_EQ(rt::now(), canceled_at) << "the wait outlived the cancel";
    held.ReleaseAndCheckTheSlotIsFree();
  });
}

// Several waiters give up in any order while the slot is held: none of them
// leaves a claim behind, and none gets the slot.
TEST(LegacyWaitForTheSlot, ManyWaitersGiveUpAndLeaveTheSlotFree) {
  sim::ForEachSeed({.count = 30}, [] {
    HeldSlot held;
    ASSERT_TRUE(held.first.ok()) << held.first.status();
    ASSERT_TRUE(held.accepted.ok()) << held.accepted.status();
    CancelToken token;
    Status by_cancel, by_deadline;
    rt::Task a = rt::spawn("by_cancel", [&] {
      std::string reply;
      by_cancel = held.conn.Invoke("/x.Y/A", std::string("a"), reply, {.cancel = token});
    });
    rt::Task b = rt::spawn("by_deadline", [&] {
      std::string reply;
      by_deadline = held.conn.Invoke("/x.Y/B", std::string("b"), reply,
                                     {.deadline = DeadlineAfter(std::chrono::milliseconds(3))});
    });
    UntilEveryOtherTaskParks();
    token.Cancel();
    a.join();
    b.join();
    EXPECT_EQ(by_cancel, CanceledError());
    EXPECT_EQ(by_deadline, DeadlineExceededError());
    held.ReleaseAndCheckTheSlotIsFree();
  });
}

}  // namespace
}  // namespace drpc::rpc
