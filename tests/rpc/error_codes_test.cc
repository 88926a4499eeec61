// The error model end to end on the OS backend: every code a handler
// returns (NotFoundError, ...) reaches the client over a socketpair with
// its code and text, without WithCode; a plain error gives Unknown.
#include "tests/rpc/error_codes.h"

#include <gtest/gtest.h>

#include <chrono>
#include <utility>

#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/task.h"

namespace drpc::rpc::testing {
namespace {

TEST(ErrorCodesTest, EveryCodeRoundTripsOverASocketPair) {
  Mux mux;
  RegisterFailWith(mux);
  Server server(mux);
  Result<rt::os::TransportPair> pair = rt::os::SocketPair();
  ASSERT_TRUE(pair.ok()) << pair.status();
  rt::Task serving = rt::spawn("serve_one", [&server, end = std::move(pair->b)]() mutable {
    (void)server.ServeOne(std::move(end));
  });
  Conn conn(std::move(pair->a));
  ExpectEveryCodeRoundTrips(conn);
  (void)conn.Close();
  server.Stop(std::chrono::seconds(0));
  serving.join();
}

}  // namespace
}  // namespace drpc::rpc::testing
