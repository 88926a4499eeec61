// The generated client and service base over a socketpair (OS backend):
// one call of each shape, and Unimplemented for the method the server does
// not override.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/rt/task.h"
#include "shapes.drpc.h"

namespace {

using drpc::ErrorKind;
using drpc::OkStatus;
using drpc::Status;
namespace rpc = drpc::rpc;

// Every shape but Later, which stays Unimplemented.
class ShapesServer final : public shapes::Shapes::Service {
 public:
  Status Unary(rpc::ServerCall&, const shapes::Request& in, shapes::Reply& out) override {
    out.set_text(in.text());
    return OkStatus();
  }
  Status ServerStream(rpc::ServerCall&, const shapes::Request& in,
                      rpc::ServerWriter<shapes::Reply>& out) override {
    shapes::Reply reply;
    for (uint32_t i = 0; i < in.count(); ++i) {
      reply.set_count(i);
      if (Status st = out.Send(reply); !st.ok()) return st;
    }
    return OkStatus();
  }
  Status ClientStream(rpc::ServerCall&, rpc::ServerReader<shapes::Request>& in,
                      shapes::Reply& out) override {
    shapes::Request request;
    Status st;
    while ((st = in.Recv(request)).ok()) out.set_text(out.text() + request.text());
    return st.is(ErrorKind::kEof) ? OkStatus() : st;
  }
  Status Bidi(rpc::ServerCall&,
              rpc::ServerReaderWriter<shapes::Request, shapes::Reply>& stream) override {
    shapes::Request in;
    shapes::Reply out;
    Status st;
    while ((st = stream.Recv(in)).ok()) {
      out.set_text("re: " + in.text());
      if (Status sent = stream.Send(out); !sent.ok()) return sent;
    }
    return st.is(ErrorKind::kEof) ? OkStatus() : st;
  }
};

class CodegenEndToEnd : public ::testing::Test {
 protected:
  CodegenEndToEnd() : server_(mux_) {
    shapes::Shapes::Register(mux_, impl_);
    drpc::Result<drpc::rt::os::TransportPair> pair = drpc::rt::os::SocketPair();
    DRPC_ASSERT(pair.ok(), pair.status().ToString());
    serving_ = drpc::rt::spawn("codegen.serve", [this, end = std::move(pair->b)]() mutable {
      (void)server_.ServeOne(std::move(end));
    });
    conn_.emplace(std::move(pair->a));
  }
  ~CodegenEndToEnd() override {
    (void)conn_->Close();
    server_.Stop(drpc::rt::Duration::zero());
    serving_.join();
  }

  ShapesServer impl_;
  rpc::Mux mux_;
  rpc::Server server_;
  drpc::rt::Task serving_;
  std::optional<rpc::Conn> conn_;
};

TEST_F(CodegenEndToEnd, Unary) {
  shapes::Shapes::Client client(*conn_);
  shapes::Request request;
  request.set_text("hello");
  shapes::Reply reply;
  ASSERT_TRUE(client.Unary(request, reply).ok());
  EXPECT_EQ(reply.text(), "hello");
}

TEST_F(CodegenEndToEnd, ServerStream) {
  shapes::Shapes::Client client(*conn_);
  shapes::Request request;
  request.set_count(3);
  auto stream = client.ServerStream(request);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  shapes::Reply reply;
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(stream->Recv(reply).ok());
    EXPECT_EQ(reply.count(), i);
  }
  EXPECT_TRUE(stream->Recv(reply).is(ErrorKind::kEof));
}

TEST_F(CodegenEndToEnd, ClientStream) {
  shapes::Shapes::Client client(*conn_);
  auto stream = client.ClientStream();
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  shapes::Request request;
  for (const char* part : {"a", "b", "c"}) {
    request.set_text(part);
    ASSERT_TRUE(stream->Send(request).ok());
  }
  shapes::Reply reply;
  ASSERT_TRUE(stream->CloseAndRecv(reply).ok());
  EXPECT_EQ(reply.text(), "abc");
}

TEST_F(CodegenEndToEnd, Bidi) {
  shapes::Shapes::Client client(*conn_);
  auto stream = client.Bidi();
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  shapes::Request request;
  shapes::Reply reply;
  for (const char* text : {"ping", "pong"}) {
    request.set_text(text);
    ASSERT_TRUE(stream->Send(request).ok());
    ASSERT_TRUE(stream->Recv(reply).ok());
    EXPECT_EQ(reply.text(), std::string("re: ") + text);
  }
  ASSERT_TRUE(stream->CloseSend().ok());
  EXPECT_TRUE(stream->Recv(reply).is(ErrorKind::kEof));
}

TEST_F(CodegenEndToEnd, MethodNotOverriddenIsUnimplemented) {
  shapes::Shapes::Client client(*conn_);
  shapes::Request request;
  shapes::Reply reply;
  const Status st = client.Later(request, reply);
  EXPECT_TRUE(st.is(ErrorKind::kRemote)) << st.ToString();
  EXPECT_EQ(st.code(), drpc::StatusCode::kUnimplemented) << st.ToString();
}

}  // namespace
