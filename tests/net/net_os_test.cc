// rt::Listen / rt::Connect on the OS backend: TCP on loopback, and clear
// errors for malformed addresses.
#include <gtest/gtest.h>

#include "drpc/rt/net.h"

namespace drpc::rt {
namespace {

TEST(RtNetOsTest, ParsesAddresses) {
  Result<HostPort> v4 = ParseAddress("127.0.0.1:80");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 80);
  Result<HostPort> v6 = ParseAddress("[::1]:65535");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 65535);
  for (const char* bad : {"nohost", ":80", "h:", "h:65536", "h:8x", "h:-1"}) {
    EXPECT_TRUE(ParseAddress(bad).status().is(ErrorKind::kInvalidArgument)) << bad;
  }
}

TEST(RtNetOsTest, ListensAndRefusesOverTcp) {
  Result<std::unique_ptr<Listener>> listener = Listen("127.0.0.1:0");
  ASSERT_TRUE(listener.ok()) << listener.status();
  EXPECT_TRUE((*listener)->Close().ok());
  EXPECT_TRUE(Listen("bad address").status().is(ErrorKind::kInvalidArgument));
  // Port 1 on loopback: nobody listens there in a test environment.
  EXPECT_FALSE(Connect("127.0.0.1:1").ok());
}

}  // namespace
}  // namespace drpc::rt
