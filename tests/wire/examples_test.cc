// The multi-frame worked examples of drpc-protocol.md §1.11: a whole unary
// call in both directions and the multiplexed fragment only the fork accepts.
#include <gtest/gtest.h>

#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/writer.h"
#include "tests/wire/wire_testing.h"

namespace drpc::wire {
namespace {

using testing::Hex;
using testing::P;
using testing::PacketCopy;
using testing::ReadPackets;
using testing::ToHex;
using testing::View;

std::string Write(const std::vector<PacketCopy>& packets) {
  BufferSink sink;
  FrameWriter writer(sink);
  for (const PacketCopy& p : packets) {
    EXPECT_TRUE(
        writer.WritePacket(Packet{p.stream_id, p.message_id, p.kind, p.control, AsBytes(p.data)})
            .ok());
  }
  EXPECT_TRUE(writer.Flush().ok());
  return ToHex(sink.bytes().view());
}

TEST(WireExamples, WholeUnaryCall) {
  const std::string request = std::string("\x0a\x03") + "foo";
  const std::string reply = std::string("\x0a\x03") + "bar";
  const std::vector<PacketCopy> client = {P(kInvoke, 1, 1, "/svc/Method"),
                                          P(kMessage, 1, 2, request), P(kCloseSend, 1, 3)};
  const std::vector<PacketCopy> server = {P(kMessage, 1, 1, reply), P(kCloseSend, 1, 2)};
  const std::vector<uint8_t> client_bytes = Hex(
      "03 01 01 0b 2f 73 76 63 2f 4d 65 74 68 6f 64 · 05 01 02 05 0a 03 66 6f 6f · 0d 01 03 00");
  const std::vector<uint8_t> server_bytes = Hex("05 01 01 05 0a 03 62 61 72 0d 01 02 00");
  EXPECT_EQ(Write(client), ToHex(View(client_bytes)));
  EXPECT_EQ(Write(server), ToHex(View(server_bytes)));
  for (size_t max_read : {size_t{1}, size_t{3}, SIZE_MAX}) {
    EXPECT_EQ(ReadPackets(client_bytes, max_read), client);
    EXPECT_EQ(ReadPackets(server_bytes, max_read), server);
  }
  // The client may also send Close s1 m4, depending on timing.
  std::vector<uint8_t> with_close = client_bytes;
  for (uint8_t b : Hex("0b 01 04 00")) with_close.push_back(b);
  std::vector<PacketCopy> client_with_close = client;
  client_with_close.push_back(P(kClose, 1, 4));
  EXPECT_EQ(ReadPackets(with_close, 2), client_with_close);
}

TEST(WireExamples, MultiplexedFragmentJoinsStreamOneToAbcd) {
  // Invoke s1, Invoke s2, s1 message part "ab", s2 message "z", s1 part "cd".
  const std::vector<uint8_t> bytes =
      Hex("03 01 01 04 2f 61 2f 42 03 02 01 04 2f 61 2f 43 04 01 02 02 61 62 05 02 02 01 7a "
          "05 01 02 02 63 64");
  const std::vector<PacketCopy> expected = {P(kInvoke, 1, 1, "/a/B"), P(kInvoke, 2, 1, "/a/C"),
                                            P(kMessage, 2, 2, "z"), P(kMessage, 1, 2, "abcd")};
  for (size_t max_read : {size_t{1}, size_t{5}, SIZE_MAX}) {
    EXPECT_EQ(ReadPackets(bytes, max_read), expected) << max_read;
  }
}

}  // namespace
}  // namespace drpc::wire
