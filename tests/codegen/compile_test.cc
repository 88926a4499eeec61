// The generated headers of every testdata .proto compile against this
// target's backend (OS or simulator), and each Register puts exactly its
// service's methods on a Mux under the wire names.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "clash.drpc.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "empty.drpc.h"
#include "imports.drpc.h"
#include "messages.drpc.h"
#include "shapes.drpc.h"

namespace {

using drpc::Status;
using ::testing::ElementsAre;
namespace rpc = drpc::rpc;

static_assert(std::string_view(shapes::Shapes::kUnary) == "/shapes.Shapes/Unary");
static_assert(std::string_view(a::b::c::Relay::kForward) == "/a.b.c.Relay/Forward");
// Escaped names: the wire keeps the proto names.
static_assert(std::string_view(clash::Outer_Inner_::kdelete) == "/clash.Outer_Inner/delete");
static_assert(std::string_view(clash::kRun_::kRun) == "/clash.kRun/Run");

// Overrides under the escaped names (a typo would not compile: override).
class Clashing final : public clash::Outer_Inner_::Service {
  Status delete__(rpc::ServerCall&, const clash::Outer&, clash::Outer&) override { return {}; }
  Status delete_(rpc::ServerCall&, const clash::Outer&, clash::Outer&) override { return {}; }
  Status new_(rpc::ServerCall&, const clash::Outer&, rpc::ServerWriter<clash::Outer>&) override {
    return {};
  }
  Status Service_(rpc::ServerCall&, rpc::ServerReader<clash::Outer>&, clash::Outer&) override {
    return {};
  }
  Status Client_(rpc::ServerCall&, rpc::ServerReaderWriter<clash::Outer, clash::Outer>&) override {
    return {};
  }
  Status conn__(rpc::ServerCall&, const clash::Outer&, clash::Outer&) override { return {}; }
};

// Never run: makes the compiler instantiate every client method.
[[maybe_unused]] void CallEveryClientMethod(rpc::Conn& conn) {
  shapes::Request request;
  shapes::Reply reply;
  shapes::Shapes::Client shapes_client(conn);
  (void)shapes_client.Unary(request, reply);
  (void)shapes_client.ServerStream(request, {});
  (void)shapes_client.ClientStream();
  (void)shapes_client.Bidi({});
  (void)shapes_client.Later(request, reply);

  codegen::messages::Ping ping;
  codegen::messages::Pong pong;
  a::b::c::Relay::Client relay(conn);
  (void)relay.Forward(ping, pong);
  (void)relay.Drain();

  clash::Outer outer;
  clash::Outer_Inner_::Client clashing(conn);
  (void)clashing.delete__(outer, outer);
  (void)clashing.new_(outer);
  (void)clashing.Register(outer, outer);
  (void)clashing.Service_();
  (void)clashing.Client_();
  (void)clashing.conn__(outer, outer);
  (void)clashing.in(outer, outer);
  (void)clashing.out(outer);
  (void)clashing.options(outer, outer, {});
  (void)clashing.s(outer);
  (void)clashing.stream();

  empty::Nothing::Client nothing(conn);
  clash::Service_::Client service(conn);
  clash::class_::Client keyword(conn);
}

TEST(Codegen, RegisterPutsEveryMethodUnderItsWireName) {
  shapes::Shapes::Service unimplemented;
  rpc::Mux mux;
  shapes::Shapes::Register(mux, unimplemented);
  EXPECT_THAT(mux.Names(), ElementsAre("/shapes.Shapes/Bidi", "/shapes.Shapes/ClientStream",
                                       "/shapes.Shapes/Later", "/shapes.Shapes/ServerStream",
                                       "/shapes.Shapes/Unary"));
}

TEST(Codegen, DottedPackageAndImportedMessages) {
  a::b::c::Relay::Service relay;
  rpc::Mux mux;
  a::b::c::Relay::Register(mux, relay);
  EXPECT_THAT(mux.Names(), ElementsAre("/a.b.c.Relay/Drain", "/a.b.c.Relay/Forward"));
}

TEST(Codegen, ClashingNamesKeepTheirWireNames) {
  Clashing clashing;
  rpc::Mux mux;
  clash::Outer_Inner_::Register(mux, clashing);
  EXPECT_EQ(mux.Names().size(), 15u);
  EXPECT_TRUE(mux.Has("/clash.Outer_Inner/delete"));
  EXPECT_TRUE(mux.Has("/clash.Outer_Inner/delete_"));
  EXPECT_TRUE(mux.Has("/clash.Outer_Inner/conn_"));

  clash::kRun_::Service run;
  clash::kRun_::Register(mux, run);
  EXPECT_TRUE(mux.Has("/clash.kRun/Run"));
}

TEST(Codegen, ServiceWithoutMethodsRegistersNothing) {
  empty::Nothing::Service nothing;
  clash::Register_::Service register_;
  clash::Client_::Service client;
  clash::Top_MIN_::Service top_min;
  clash::Outer_Color_IsValid_::Service is_valid;
  rpc::Mux mux;
  empty::Nothing::Register(mux, nothing);
  clash::Register_::Register(mux, register_);
  clash::Client_::Register(mux, client);
  clash::Top_MIN_::Register(mux, top_min);
  clash::Outer_Color_IsValid_::Register(mux, is_valid);
  EXPECT_TRUE(mux.Names().empty());
}

}  // namespace
