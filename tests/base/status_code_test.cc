// The error model: a code per constructor, the code of the library's own
// classes, what goes on the wire, and WithCode.
#include <gtest/gtest.h>

#include <sstream>

#include "drpc/base/status.h"

namespace drpc {
namespace {

TEST(StatusCode, EachConstructorCarriesItsCodeToTheWire) {
  struct Case {
    Status st;
    StatusCode want;
  };
  const Case cases[] = {
      {CanceledError(), StatusCode::kCanceled},
      {UnknownError("x"), StatusCode::kUnknown},
      {InvalidArgumentError("x"), StatusCode::kInvalidArgument},
      {DeadlineExceededError(), StatusCode::kDeadlineExceeded},
      {NotFoundError("x"), StatusCode::kNotFound},
      {AlreadyExistsError("x"), StatusCode::kAlreadyExists},
      {PermissionDeniedError("x"), StatusCode::kPermissionDenied},
      {ResourceExhaustedError("x"), StatusCode::kResourceExhausted},
      {FailedPreconditionError("x"), StatusCode::kFailedPrecondition},
      {AbortedError("x"), StatusCode::kAborted},
      {OutOfRangeError("x"), StatusCode::kOutOfRange},
      {UnimplementedError(), StatusCode::kUnimplemented},
      {InternalError("x"), StatusCode::kInternal},
      {UnavailableError("x"), StatusCode::kUnavailable},
      {DataLossError("x"), StatusCode::kDataLoss},
      {UnauthenticatedError("x"), StatusCode::kUnauthenticated},
  };
  for (const Case& c : cases) {
    EXPECT_FALSE(c.st.ok()) << c.want;
    EXPECT_EQ(c.st.code(), c.want) << c.st;
    EXPECT_EQ(c.st.wire_code(), static_cast<uint64_t>(c.want)) << c.st;
    EXPECT_EQ(Status(c.want, c.st.message()), c.st) << c.st;
  }
}

TEST(StatusCode, TheLibrarysClassesMeanACodeButSendNone) {
  EXPECT_EQ(ClosedError("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ConnectionError("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ProtocolError("x").code(), StatusCode::kInternal);
  EXPECT_EQ(UnexpectedEofError().code(), StatusCode::kInternal);
  EXPECT_EQ(Status(ErrorKind::kMessageSize, "x").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(DrpcError("x").code(), StatusCode::kUnknown);
  EXPECT_EQ(EofError().code(), StatusCode::kUnknown);
  for (const Status& st :
       {ClosedError("x"), ConnectionError("x"), ProtocolError("x"), UnexpectedEofError(),
        Status(ErrorKind::kMessageSize, "x"), DrpcError("x"), EofError()}) {
    EXPECT_EQ(st.wire_code(), 0u) << st;  // as Go sends its classes
  }
}

TEST(StatusCode, APeersErrorKeepsItsCodeAndNoCodeIsUnknown) {
  EXPECT_EQ(RemoteError("x", 7).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(RemoteError("x", 7).wire_code(), 7u);
  EXPECT_EQ(RemoteError("x", 0).code(), StatusCode::kUnknown);
  EXPECT_EQ(RemoteError("x", 0).wire_code(), 0u);
  EXPECT_EQ(RemoteError("x", 1000).code(), 1000u);  // an application's own code
}

TEST(StatusCode, OkIsOk) {
  EXPECT_EQ(OkStatus().code(), StatusCode::kOk);
  EXPECT_TRUE(Status(StatusCode::kOk, "ignored").ok());
  EXPECT_EQ(Status(StatusCode::kOk, "ignored"), OkStatus());
}

TEST(StatusCode, WithCodeAttachesAndTheKindsOwnCodeIsOneValue) {
  const Status coded = WithCode(DrpcError("x"), StatusCode::kNotFound);
  EXPECT_TRUE(coded.is(ErrorKind::kDrpc));
  EXPECT_EQ(coded.code(), StatusCode::kNotFound);
  EXPECT_EQ(coded.wire_code(), 5u);
  EXPECT_EQ(WithCode(ClosedError("x"), 14).wire_code(), 14u);
  EXPECT_EQ(WithCode(InvalidArgumentError("x"), StatusCode::kInvalidArgument),
            InvalidArgumentError("x"));
  EXPECT_EQ(WithCode(coded, 0), coded);
  EXPECT_TRUE(WithCode(OkStatus(), 5).ok());
}

TEST(StatusCode, Text) {
  EXPECT_EQ(NotFoundError("no user").ToString(), "NotFound: no user");
  EXPECT_EQ(WithCode(NotFoundError("x"), 1000).ToString(), "Code(1000): x");
  EXPECT_EQ(InvalidArgumentError("x").ToString(), "invalid_argument: x");
  EXPECT_EQ(WithCode(DrpcError("x"), 5).ToString(), "drpc: x (code 5)");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnauthenticated), "Unauthenticated");
  std::ostringstream out;
  out << StatusCode::kDeadlineExceeded;
  EXPECT_EQ(out.str(), "DeadlineExceeded");
}

}  // namespace
}  // namespace drpc
