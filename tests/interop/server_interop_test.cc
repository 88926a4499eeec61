// The C++ Server against a real Go client: each Go client capture (c2s) is
// replayed at rpc::Server::ServeOne, in the order the real conversation had,
// and what the server writes is compared with the Go server's capture (s2c)
// frame by frame and byte for byte. Every scenario runs twice: with the
// peer's bytes in whole reads and one byte per read.
//
// Variations accepted (interop README, "Things that vary"), each named in
// the test that accepts it:
//   * the server's trailing CloseSend is missing when the client's Close
//     arrived before the handler returned (UnaryCloseArrivesFirst);
//   * the Go client writes metadata entries in map order
//     (UnaryMetadata2InEitherOrder).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/rpc/server.h"
#include "drpc/rt/task.h"
#include "tests/interop/capture.h"
#include "tests/interop/conversation.h"
#include "tests/interop/peer_echo_service.h"

namespace drpc::interop {
namespace {

// One C++ server connection, served by ServeOne on its own task, whose peer
// is the script.
class ServedConnection {
 public:
  ServedConnection(const rpc::Handler& handler, size_t read_size, rpc::ServerOptions options = {})
      : server_(handler, std::move(options)), peer_(read_size) {
    serving_ = rt::spawn("interop.serve_one", [this, transport = peer_.Transport()]() mutable {
      result_ = server_.ServeOne(std::move(transport));
    });
  }
  ~ServedConnection() { (void)Join(); }

  ScriptedPeer& peer() { return peer_; }

  // Waits for ServeOne to return (the peer must have hung up) and returns
  // its result. After it, nothing of the connection runs any more: what the
  // peer recorded is everything the server will ever write.
  Status Join() {
    if (serving_.joinable()) {
      peer_.HangUp();  // no-op if the script already did
      serving_.join();
    }
    return result_;
  }

 private:
  rpc::Server server_;
  ScriptedPeer peer_;
  rt::Task serving_;
  Status result_;
};

// Checks the server's writes against `expected` at both levels.
void ExpectServerWrote(ScriptedPeer& peer, const std::vector<WireFrame>& expected) {
  const std::vector<uint8_t> written = peer.written();
  EXPECT_TRUE(SameFrames(expected, ParseFrames(written)));
  EXPECT_TRUE(SameBytes(Join(expected), written));
  EXPECT_TRUE(peer.closed_by_cpp()) << "the server never closed its end";
}

rpc::Metadata Md(std::initializer_list<std::pair<const std::string, std::string>> entries) {
  return rpc::Metadata(entries);
}

class ServerInterop : public ::testing::TestWithParam<size_t> {
 protected:
  size_t read_size() const { return GetParam(); }
};

TEST_P(ServerInterop, UnaryMetadata) {
  const Capture c2s = Capture::Load("unary_metadata.c2s");
  const Capture s2c = Capture::Load("unary_metadata.s2c");
  PeerEchoService service;
  ServedConnection conn(service.mux, read_size());
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 4, "InvokeMetadata, Invoke, Message, CloseSend"),
                            AwaitCpp(2, "the reply Message and the server's CloseSend"),
                            PeerSends(4, 5, "Close: Go sends it once it has the reply"),
                            PeerHangsUp("the Go client closes its connection"),
                        }));
  // The client hung up in order: Go's server ends with Canceled there too.
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  // Exact: the Close came after the server's CloseSend, the common order.
  ExpectServerWrote(conn.peer(), s2c.frames);
  EXPECT_EQ(service.metadata(),
            std::vector<rpc::Metadata>{Md({{"authorization", "Bearer t0k3n"}})});
}

// Variation: "the server's trailing CloseSend can be missing, because the
// server saw the Close first". Made deterministic: Unary's handler returns
// only after the client's Close ended its call, so the server's CloseSend
// comes after the Close and must not be written.
TEST_P(ServerInterop, UnaryCloseArrivesFirst) {
  const Capture c2s = Capture::Load("unary_metadata.c2s");
  const Capture s2c = Capture::Load("unary_metadata.s2c");
  ASSERT_EQ(s2c.frames.size(), 2u);
  ASSERT_TRUE(s2c.frames[1].is(wire::Kind::kCloseSend));
  PeerEchoService service(/*hold_unary_reply=*/true);
  ServedConnection conn(service.mux, read_size());
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 4, "InvokeMetadata, Invoke, Message, CloseSend"),
                            AwaitCpp(1, "the reply Message"),
                            PeerSends(4, 5, "Close, before the server's handler returned"),
                        }));
  const std::vector<Status> ended = service.WaitEnded(1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].is(ErrorKind::kClosed)) << ended[0];
  conn.peer().HangUp();
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  ExpectServerWrote(conn.peer(), s2c.WithoutLast(1));
}

// The Go client's frames with InvokeMetadata's two entries swapped (about a
// quarter of Go's runs).
Capture WithMetadataEntriesSwapped(const Capture& c2s) {
  Capture swapped = c2s;
  WireFrame& md = swapped.frames.at(0);
  EXPECT_TRUE(md.is(wire::Kind::kInvokeMetadata));
  const std::vector<std::string> entries = MetadataEntries(md.data);
  EXPECT_EQ(entries.size(), 2u);
  if (entries.size() != 2) return swapped;
  md = md.WithData(entries[1] + entries[0]);
  swapped.name += " (entries swapped)";
  return swapped;
}

// Variation: metadata entry order. Both orders are decoded to the same map.
TEST_P(ServerInterop, UnaryMetadata2InEitherOrder) {
  const Capture file_order = Capture::Load("unary_metadata2.c2s");
  const Capture s2c = Capture::Load("unary_metadata2.s2c");
  for (const Capture& c2s : {file_order, WithMetadataEntriesSwapped(file_order)}) {
    SCOPED_TRACE(c2s.name);
    PeerEchoService service;
    ServedConnection conn(service.mux, read_size());
    ASSERT_TRUE(RunScript(conn.peer(), c2s,
                          {
                              PeerSends(0, 4, "InvokeMetadata, Invoke, Message, CloseSend"),
                              AwaitCpp(2, "the reply Message and the server's CloseSend"),
                              PeerSends(4, 5, "Close"),
                              PeerHangsUp("the Go client closes its connection"),
                          }));
    EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
    ExpectServerWrote(conn.peer(), s2c.frames);
    EXPECT_EQ(service.metadata(), std::vector<rpc::Metadata>{Md({{"authorization", "Bearer t0k3n"},
                                                                 {"x-request-id", "42"}})});
  }
}

// No variation: both sides sent CloseSend, nobody sends Close.
TEST_P(ServerInterop, ServerStream3) {
  const Capture c2s = Capture::Load("server_stream3.c2s");
  const Capture s2c = Capture::Load("server_stream3.s2c");
  PeerEchoService service;
  ServedConnection conn(service.mux, read_size());
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 3, "Invoke, Message count=3, CloseSend"),
                            AwaitCpp(4, "msg-0, msg-1, msg-2 and CloseSend"),
                            PeerHangsUp("the Go client closes its connection"),
                        }));
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  ExpectServerWrote(conn.peer(), s2c.frames);
  EXPECT_EQ(service.metadata(), std::vector<rpc::Metadata>{rpc::Metadata{}});
}

// No variation: the Error frame ends the stream; no CloseSend follows it.
TEST_P(ServerInterop, UnaryError) {
  const Capture c2s = Capture::Load("unary_error.c2s");
  const Capture s2c = Capture::Load("unary_error.s2c");
  PeerEchoService service;
  ServedConnection conn(service.mux, read_size());
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 3, "Invoke, Message please, CloseSend"),
                            AwaitCpp(1, "the Error frame, code 7"),
                            PeerHangsUp("the Go client closes its connection"),
                        }));
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  ExpectServerWrote(conn.peer(), s2c.frames);
}

// SplitSize 4 on both sides: the server reassembles the split Invoke and
// Message, and splits its reply into the same 4-byte frames as Go.
TEST_P(ServerInterop, UnarySplit) {
  const Capture c2s = Capture::Load("unary_split.c2s");
  const Capture s2c = Capture::Load("unary_split.s2c");
  PeerEchoService service;
  rpc::ServerOptions options;
  options.manager.stream.split_size = 4;
  ServedConnection conn(service.mux, read_size(), std::move(options));
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 8, "Invoke in 4 frames, Message in 3, CloseSend"),
                            AwaitCpp(4, "the reply in 3 frames and CloseSend"),
                            PeerSends(8, 9, "Close"),
                            PeerHangsUp("the Go client closes its connection"),
                        }));
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  ExpectServerWrote(conn.peer(), s2c.frames);
}

// Soft cancel: the Cancel frame (control bit) ends stream 1's handler with
// kCanceled and the server writes nothing for it; the next call, on stream
// 2, is served on the same connection. No variation: the Close of stream 2
// is sent after the server's CloseSend.
TEST_P(ServerInterop, CancelSoft) {
  const Capture c2s = Capture::Load("cancel_soft.c2s");
  const Capture s2c = Capture::Load("cancel_soft.s2c");
  PeerEchoService service;
  ServedConnection conn(service.mux, read_size());
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 2, "Invoke Bidi, Message ping"),
                            AwaitCpp(1, "the echo ping"),
                            PeerSends(2, 6,
                                      "Cancel s1, then at once Invoke Unary s2, Message "
                                      "after-cancel, CloseSend"),
                            AwaitCpp(3, "the reply after-cancel and CloseSend on s2"),
                            PeerSends(6, 7, "Close s2"),
                            PeerHangsUp("the Go client closes its connection"),
                        }));
  const std::vector<Status> ended = service.WaitEnded(1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].is(ErrorKind::kCanceled)) << ended[0];
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  ExpectServerWrote(conn.peer(), s2c.frames);
}

// Hard cancel: the Go client closes the whole connection in the middle of
// the Bidi call. The handler ends with kCanceled, ServeOne returns, and the
// server writes nothing after the echo.
TEST_P(ServerInterop, CancelHard) {
  const Capture c2s = Capture::Load("cancel_hard.c2s");
  const Capture s2c = Capture::Load("cancel_hard.s2c");
  PeerEchoService service;
  ServedConnection conn(service.mux, read_size());
  ASSERT_TRUE(RunScript(conn.peer(), c2s,
                        {
                            PeerSends(0, 2, "Invoke Bidi, Message ping"),
                            AwaitCpp(1, "the echo ping"),
                            PeerHangsUp("Go's cancel closes the connection"),
                        }));
  EXPECT_TRUE(conn.Join().is(ErrorKind::kCanceled));
  const std::vector<Status> ended = service.WaitEnded(1);
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_TRUE(ended[0].is(ErrorKind::kCanceled)) << ended[0];
  ExpectServerWrote(conn.peer(), s2c.frames);
}

std::string ReadSizeName(const ::testing::TestParamInfo<size_t>& info) {
  return info.param == 0 ? "WholeReads" : std::to_string(info.param) + "ByteReads";
}

INSTANTIATE_TEST_SUITE_P(Reads, ServerInterop, ::testing::Values(size_t{0}, size_t{1}),
                         ReadSizeName);

}  // namespace
}  // namespace drpc::interop
