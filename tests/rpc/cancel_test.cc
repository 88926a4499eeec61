// CancelToken on the OS backend: one cancel wins, callbacks run once on the
// canceling task, a reset registration never runs. That Reset waits for a
// callback in progress is tested in the simulator, where "in progress" is
// exact: cancel_sim_test.cc.
#include "drpc/rpc/cancel.h"

#include <gtest/gtest.h>

#include <vector>

namespace drpc::rpc {
namespace {

TEST(RpcCancelTokenTest, FirstCancelWinsAndCopiesShareIt) {
  CancelToken token;
  CancelToken copy = token;
  EXPECT_FALSE(token.canceled());
  EXPECT_TRUE(token.err().ok());
  EXPECT_TRUE(copy.Cancel(DeadlineExceededError()));
  EXPECT_FALSE(token.Cancel());
  EXPECT_TRUE(token.canceled());
  EXPECT_EQ(token.err().kind(), ErrorKind::kDeadlineExceeded);
  EXPECT_TRUE(token.signal().is_set());
}

TEST(RpcCancelTokenTest, CallbacksRunOnceWithTheError) {
  CancelToken token;
  std::vector<ErrorKind> seen;
  CancelToken::Registration a = token.OnCancel([&](const Status& e) { seen.push_back(e.kind()); });
  CancelToken::Registration b = token.OnCancel([&](const Status& e) { seen.push_back(e.kind()); });
  EXPECT_TRUE(a.active());
  token.Cancel();
  token.Cancel();
  EXPECT_EQ(seen, (std::vector<ErrorKind>{ErrorKind::kCanceled, ErrorKind::kCanceled}));
}

TEST(RpcCancelTokenTest, AResetRegistrationNeverRuns) {
  CancelToken token;
  int runs = 0;
  {
    CancelToken::Registration r = token.OnCancel([&](const Status&) { ++runs; });
  }  // reset by its destructor
  CancelToken::Registration moved;
  {
    CancelToken::Registration r = token.OnCancel([&](const Status&) { ++runs; });
    moved = std::move(r);
  }
  moved.Reset();
  EXPECT_FALSE(moved.active());
  token.Cancel();
  EXPECT_EQ(runs, 0);
}

TEST(RpcCancelTokenTest, RegisteringOnACanceledTokenRunsAtOnce) {
  CancelToken token;
  token.Cancel();
  int runs = 0;
  CancelToken::Registration r = token.OnCancel([&](const Status& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kCanceled);
    ++runs;
  });
  EXPECT_EQ(runs, 1);
  EXPECT_FALSE(r.active());
}

}  // namespace
}  // namespace drpc::rpc
