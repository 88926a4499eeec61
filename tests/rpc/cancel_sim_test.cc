// CancelToken::Registration::Reset in the simulator: it never returns while
// its callback is running. With the callback held in progress, the check is
// exact (virtual time, and so the callback, cannot move on while the
// resetting task still runs); with Reset racing the cancel, a sweep of
// seeds runs both "the callback ran" and "Reset came first".
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "drpc/rpc/cancel.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "tests/common/sim_seeds.h"

namespace drpc::rpc {
namespace {

using ::drpc::testing::ForEachSeed;
using ::drpc::testing::UntilEveryOtherTaskParks;

TEST(RpcCancelTokenSimTest, ResetWaitsForItsCallbackInProgress) {
  ForEachSeed(50, [](uint64_t) {
    CancelToken token;
    rt::Signal entered("entered");
    bool callback_done = false;
    CancelToken::Registration r = token.OnCancel([&](const Status&) {
      entered.set(OkStatus());
      // Ends only once every other task waits: a Reset that returned
      // without waiting has been checked by then.
      UntilEveryOtherTaskParks();
      callback_done = true;
    });
    rt::Task canceler = rt::spawn("canceler", [&] { token.Cancel(); });
    entered.wait("test");
    r.Reset();
    EXPECT_TRUE(callback_done) << "Reset returned while its callback ran";
    canceler.join();
  });
}

TEST(RpcCancelTokenSimTest, ResetRacingTheCancelLeavesNoCallbackRunning) {
  int ran = 0;
  int reset_first = 0;
  ForEachSeed(200, [&](uint64_t seed) {
    CancelToken token;
    bool started = false;
    bool done = false;
    CancelToken::Registration r = token.OnCancel([&](const Status&) {
      started = true;
      rt::yield();
      done = true;
    });
    rt::Task canceler = rt::spawn("canceler", [&] { token.Cancel(); });
    // Give way a seed-chosen number of times: Reset lands before, during
    // or after the callback.
    for (uint64_t i = 0; i < seed % 8; ++i) rt::yield();
    r.Reset();
    EXPECT_EQ(started, done) << "Reset returned while its callback ran";
    const bool started_before_reset_returned = started;
    canceler.join();
    EXPECT_EQ(started, started_before_reset_returned) << "the callback ran after Reset returned";
    (started ? ran : reset_first)++;
  });
  EXPECT_GT(ran, 0);
  EXPECT_GT(reset_first, 0);
  std::cout << "callback ran: " << ran << ", Reset first: " << reset_first << "\n";
}

}  // namespace
}  // namespace drpc::rpc
