// Status: ok and error values, their text, and equality.
#include "drpc/base/status.h"

#include <gtest/gtest.h>

#include <sstream>

namespace drpc {
namespace {

TEST(Status, DefaultIsOk) {
  const Status ok;
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(ok.is(ErrorKind::kOk));
  EXPECT_EQ(ok.code(), 0u);
  EXPECT_EQ(ok.message(), "");
  EXPECT_EQ(ok, OkStatus());
}

TEST(Status, ToStringIsKindMessageAndCode) {
  EXPECT_EQ(Status().ToString(), "ok");
  EXPECT_EQ(EofError().ToString(), "eof: EOF");
  EXPECT_EQ(CanceledError().ToString(), "canceled: context canceled");
  EXPECT_EQ(DeadlineExceededError().ToString(), "deadline_exceeded: context deadline exceeded");
  EXPECT_EQ(ProtocolError("bad varint").ToString(), "protocol: bad varint");
  EXPECT_EQ(ResourceExhaustedError("too many streams").ToString(),
            "resource_exhausted: too many streams");
  EXPECT_EQ(RemoteError("boom", 7).ToString(), "remote: boom (code 7)");
  EXPECT_EQ(RemoteError("no code", 0).ToString(), "remote: no code");  // code 0 is none
  EXPECT_EQ(Status(ErrorKind::kInternal, "x", 18446744073709551615u).ToString(),
            "internal: x (code 18446744073709551615)");
}

TEST(Status, StreamsAsItsText) {
  std::ostringstream out;
  out << RemoteError("boom", 7);
  EXPECT_EQ(out.str(), "remote: boom (code 7)");
}

TEST(Status, EqualMeansSameKindCodeAndMessage) {
  EXPECT_EQ(RemoteError("a", 1), RemoteError("a", 1));
  EXPECT_NE(RemoteError("a", 1), RemoteError("a", 2));
  EXPECT_NE(RemoteError("a", 1), RemoteError("b", 1));
  EXPECT_NE(ClosedError("a"), ConnectionError("a"));
}

TEST(Status, HelpersSayWhatTheyMean) {
  EXPECT_TRUE(EofError().is(ErrorKind::kEof));
  EXPECT_TRUE(UnexpectedEofError().is(ErrorKind::kUnexpectedEof));
  EXPECT_TRUE(ClosedError("c").is(ErrorKind::kClosed));
  EXPECT_TRUE(InvalidArgumentError("i").is(ErrorKind::kInvalidArgument));
  EXPECT_FALSE(InternalError("i").ok());
  EXPECT_EQ(RemoteError("r", 9).code(), 9u);
  EXPECT_EQ(DrpcError("terminated").message(), "terminated");
}

}  // namespace
}  // namespace drpc
