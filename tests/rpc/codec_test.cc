// ProtobufCodec and the codec defaults.
#include "drpc/rpc/codec/codec.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

#include "rpc_test.pb.h"

namespace drpc::rpc {
namespace {

using rpctest::Reply;
using rpctest::Request;

static_assert(Codec<ProtobufCodec, Request>);
static_assert(Codec<BytesCodec, std::string>);
static_assert(!Codec<ProtobufCodec, std::string>);
static_assert(std::is_same_v<DefaultCodec<Request>, ProtobufCodec>);
static_assert(std::is_same_v<DefaultCodec<std::string>, BytesCodec>);
static_assert(std::is_same_v<DefaultCodec<Buffer>, BytesCodec>);
static_assert(std::is_empty_v<ProtobufCodec>);

TEST(RpcProtobufCodecTest, RoundTrip) {
  Request in;
  in.set_text("hello");
  in.set_number(-5);
  in.set_payload(std::string("\x00\x01", 2));
  Buffer buffer;
  ASSERT_TRUE(ProtobufCodec{}.Marshal(in, buffer).ok());
  EXPECT_EQ(buffer.size(), in.ByteSizeLong());
  EXPECT_EQ(AsStringView(buffer.view()), in.SerializeAsString());  // libprotobuf's own bytes
  Request out;
  ASSERT_TRUE(ProtobufCodec{}.Unmarshal(buffer.view(), out).ok());
  EXPECT_EQ(out.text(), "hello");
  EXPECT_EQ(out.number(), -5);
  EXPECT_EQ(out.payload(), std::string("\x00\x01", 2));
}

TEST(RpcProtobufCodecTest, MarshalAppendsAndReusesTheBuffer) {
  Request in;
  in.set_text("abc");
  Buffer buffer;
  buffer.Append(AsBytes("prefix"));
  ASSERT_TRUE(ProtobufCodec{}.Marshal(in, buffer).ok());
  EXPECT_EQ(AsStringView(buffer.view()), "prefix" + in.SerializeAsString());
  buffer.clear();
  const size_t capacity = buffer.capacity();
  ASSERT_TRUE(ProtobufCodec{}.Marshal(in, buffer).ok());
  EXPECT_EQ(buffer.capacity(), capacity);  // no new allocation once warm
}

TEST(RpcProtobufCodecTest, EmptyMessageIsZeroBytes) {
  Buffer buffer;
  ASSERT_TRUE(ProtobufCodec{}.Marshal(Request(), buffer).ok());
  EXPECT_EQ(buffer.size(), 0u);
  Request out;
  out.set_text("stale");
  ASSERT_TRUE(ProtobufCodec{}.Unmarshal(Bytes(), out).ok());
  EXPECT_TRUE(out.text().empty());  // replaced, not merged
}

TEST(RpcProtobufCodecTest, GarbageIsAnInternalErrorNamingTheType) {
  const std::string garbage =
      "\x0a\x7f"
      "abc";  // a length past the end
  Request out;
  const Status st = ProtobufCodec{}.Unmarshal(AsBytes(garbage), out);
  EXPECT_EQ(st.kind(), ErrorKind::kInternal);
  EXPECT_NE(st.message().find("drpc.rpctest.Request"), std::string::npos) << st;
}

TEST(RpcProtobufCodecTest, ParsesFromAView) {
  // Unmarshal reads the bytes it is given and keeps nothing pointing into
  // them: overwrite the source afterwards.
  Reply in;
  in.set_text(std::string(1000, 'q'));
  std::string bytes = in.SerializeAsString();
  Reply out;
  ASSERT_TRUE(ProtobufCodec{}.Unmarshal(AsBytes(bytes), out).ok());
  std::fill(bytes.begin(), bytes.end(), '\0');
  EXPECT_EQ(out.text(), std::string(1000, 'q'));
}

}  // namespace
}  // namespace drpc::rpc
