// Status helpers of the RPC layer: WithCode, the gRPC code mapping (the
// fork's ToRPCErr, §2.4) and the unknown-rpc error text.
#include "drpc/rpc/status.h"

#include <gtest/gtest.h>

#include <string>

#include "drpc/rpc/mux.h"

namespace drpc::rpc {
namespace {

TEST(RpcStatusTest, WithCodeAttachesACodeAndKeepsKindAndText) {
  const Status st = WithCode(DrpcError("nope"), 5);
  EXPECT_EQ(st.kind(), ErrorKind::kDrpc);
  EXPECT_EQ(st.message(), "nope");
  EXPECT_EQ(st.code(), 5u);
  EXPECT_EQ(ErrorCode(st), 5u);
  EXPECT_EQ(WithCode(DrpcError("x"), GrpcCode::kNotFound).code(), 5u);
  // Replaces an earlier code.
  EXPECT_EQ(WithCode(st, 9).code(), 9u);
}

TEST(RpcStatusTest, WithCodeLeavesOkAndCodeZeroAlone) {
  EXPECT_TRUE(WithCode(OkStatus(), 5).ok());
  EXPECT_EQ(WithCode(OkStatus(), 5).code(), 0u);
  const Status coded = WithCode(DrpcError("x"), 4);
  EXPECT_EQ(WithCode(coded, 0), coded);  // code 0 changes nothing
}

TEST(RpcStatusTest, UnimplementedIsCodeTwelve) {
  EXPECT_EQ(kUnimplementedCode, 12u);
  const Status st = UnimplementedError();
  EXPECT_EQ(st.code(), 12u);
  EXPECT_EQ(st.message(), "Unimplemented");
  EXPECT_EQ(ToGrpcCode(RemoteError("Unimplemented", 12)), GrpcCode::kUnimplemented);
}

TEST(RpcStatusTest, ToGrpcCodeFollowsToRpcErr) {
  struct Case {
    Status in;
    GrpcCode want;
  };
  const Case cases[] = {
      {OkStatus(), GrpcCode::kOk},
      {EofError(), GrpcCode::kUnknown},
      {CanceledError(), GrpcCode::kCanceled},
      {DeadlineExceededError(), GrpcCode::kDeadlineExceeded},
      {UnexpectedEofError(), GrpcCode::kInternal},
      {ClosedError("connection closed"), GrpcCode::kUnavailable},
      {ConnectionError("reset"), GrpcCode::kUnavailable},
      {RemoteError("x", 0), GrpcCode::kUnknown},
      {RemoteError("x", 7), GrpcCode::kPermissionDenied},
      {RemoteError("x", 16), GrpcCode::kUnauthenticated},
      {RemoteError("x", 17), GrpcCode::kUnknown},
      {RemoteError("x", ~uint64_t{0}), GrpcCode::kUnknown},
      {Status(ErrorKind::kMessageSize, "big"), GrpcCode::kResourceExhausted},
      {ResourceExhaustedError("full"), GrpcCode::kResourceExhausted},
      {InvalidArgumentError("bad"), GrpcCode::kInvalidArgument},
      {ProtocolError("bad frame"), GrpcCode::kInternal},
      {InternalError("bug"), GrpcCode::kInternal},
      {DrpcError("terminated by sending close"), GrpcCode::kUnknown},
  };
  for (const Case& c : cases) EXPECT_EQ(ToGrpcCode(c.in), c.want) << c.in;
}

TEST(RpcStatusTest, GrpcCodeNames) {
  EXPECT_EQ(GrpcCodeName(GrpcCode::kOk), "OK");
  EXPECT_EQ(GrpcCodeName(GrpcCode::kDeadlineExceeded), "DeadlineExceeded");
  EXPECT_EQ(GrpcCodeName(GrpcCode::kUnavailable), "Unavailable");
  EXPECT_EQ(GrpcCodeName(static_cast<GrpcCode>(kMaxGrpcCode)), "Unauthenticated");
}

TEST(RpcStatusTest, UnknownRpcQuotesTheNameLikeGo) {
  const Status st = UnknownRpcError("/x.Y/Z");
  EXPECT_EQ(st.kind(), ErrorKind::kProtocol);
  EXPECT_EQ(st.wire_code(), 0u);
  EXPECT_EQ(st.message(), "protocol error: unknown rpc: \"/x.Y/Z\"");
  EXPECT_EQ(UnknownRpcError("a\"b\\c\n\t").message(),
            R"(protocol error: unknown rpc: "a\"b\\c\n\t")");
  EXPECT_EQ(UnknownRpcError(std::string("\x01\xff", 2)).message(),
            R"(protocol error: unknown rpc: "\x01\xff")");
  EXPECT_EQ(UnknownRpcError("").message(), "protocol error: unknown rpc: \"\"");
}

}  // namespace
}  // namespace drpc::rpc
