// ClientStream::Cancel, then Recv: the cancel's error at once, even with
// the server's messages already queued on the client (Go's behavior). Exact
// in the simulator: the messages are known to be queued (every other task
// is parked) before the cancel.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "drpc/manager/manager.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "sim/net/pipe.h"
#include "tests/common/sim_seeds.h"

namespace drpc::rpc {
namespace {

using ::drpc::testing::ForEachSeed;
using ::drpc::testing::UntilEveryOtherTaskParks;

manager::ManagerOptions ServerOptions() {
  manager::ManagerOptions options;
  options.role = manager::Role::kServer;
  return options;
}

TEST(CancelThenRecv, ReturnsTheCancelBeforeQueuedMessages) {
  ForEachSeed(50, [](uint64_t) {
    sim::net::PipeEnds ends = sim::net::MakePipe({});
    manager::Manager server(std::move(ends.b), ServerOptions());
    Conn conn(std::move(ends.a));
    Result<ClientStream<std::string, std::string>> call =
        conn.NewStream<std::string, std::string>("/x.Y/Stream");
    ASSERT_TRUE(call.ok()) << call.status();
    Result<manager::ServerStream> in = server.NewServerStream();
    ASSERT_TRUE(in.ok()) << in.status();
    ASSERT_TRUE(in->stream->MsgSend(std::string("one"), stream::BytesCodec{}).ok());
    ASSERT_TRUE(in->stream->MsgSend(std::string("two"), stream::BytesCodec{}).ok());
    UntilEveryOtherTaskParks();  // both messages are in the client's ring
    ASSERT_TRUE(call->Cancel().ok());
    std::string got;
    EXPECT_EQ(call->Recv(got), CanceledError()) << "a queued message came first: " << got;
    EXPECT_EQ(call->Recv(got), CanceledError());
    (void)in->stream->Close();
  });
}

// A deadline cancels the same way.
TEST(CancelThenRecv, DeadlineReturnsBeforeQueuedMessages) {
  ForEachSeed(50, [](uint64_t) {
    sim::net::PipeEnds ends = sim::net::MakePipe({});
    manager::Manager server(std::move(ends.b), ServerOptions());
    Conn conn(std::move(ends.a));
    Result<ClientStream<std::string, std::string>> call = conn.NewStream<std::string, std::string>(
        "/x.Y/Stream", {.deadline = DeadlineAfter(std::chrono::milliseconds(5))});
    ASSERT_TRUE(call.ok()) << call.status();
    Result<manager::ServerStream> in = server.NewServerStream();
    ASSERT_TRUE(in.ok()) << in.status();
    ASSERT_TRUE(in->stream->MsgSend(std::string("one"), stream::BytesCodec{}).ok());
    rt::sleep_for(std::chrono::milliseconds(10));  // virtual time: the deadline passed
    std::string got;
    EXPECT_EQ(call->Recv(got), DeadlineExceededError()) << "a queued message came first: " << got;
    (void)in->stream->Close();
  });
}

}  // namespace
}  // namespace drpc::rpc
