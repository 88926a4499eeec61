// The rpc layer's own error text: the unknown-rpc error, quoted as Go
// quotes it. The codes themselves are tested in tests/base/status_code_test.cc.
#include "drpc/base/status.h"

#include <gtest/gtest.h>

#include <string>

#include "drpc/rpc/mux.h"

namespace drpc::rpc {
namespace {

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
