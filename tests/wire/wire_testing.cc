#include "tests/wire/wire_testing.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "drpc/wire/assembler.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/reader.h"

namespace drpc::wire::testing {

std::vector<uint8_t> Repeat(uint8_t byte, size_t count) {
  return std::vector<uint8_t>(count, byte);
}

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

PacketCopy PacketCopy::Of(const Packet& packet) {
  return PacketCopy{packet.stream_id, packet.message_id, packet.kind, packet.control,
                    ToString(packet.data)};
}

void PrintTo(const PacketCopy& packet, std::ostream* os) {
  *os << "{kind " << int{packet.kind} << " s" << packet.stream_id << " m" << packet.message_id
      << (packet.control ? " control" : "") << " data \"" << packet.data << "\"}";
}

FrameCopy F(uint8_t kind, uint64_t stream, uint64_t message, bool done, std::string data,
            bool control) {
  return FrameCopy{stream, message, kind, done, control, std::move(data)};
}

PacketCopy P(uint8_t kind, uint64_t stream, uint64_t message, std::string data, bool control) {
  return PacketCopy{stream, message, kind, control, std::move(data)};
}

std::vector<PacketCopy> ReadPackets(Bytes bytes, size_t max_read) {
  SpanSource source(bytes, max_read);
  FrameReader reader(source);
  std::map<uint64_t, PacketAssembler> assemblers;
  std::vector<PacketCopy> packets;
  // Each round reads a frame, which takes at least one byte, or ends.
  for (size_t round = 0; round <= bytes.size(); ++round) {
    Result<Frame> frame = reader.ReadFrame();
    if (!frame.ok()) {
      EXPECT_EQ(frame.status().kind(), ErrorKind::kEof) << frame.status();
      return packets;
    }
    auto it = assemblers.try_emplace(frame->stream_id, PacketAssembler(frame->stream_id)).first;
    Result<AssembleStep> step = it->second.Append(*frame);
    EXPECT_TRUE(step.ok()) << step.status();
    if (!step.ok()) return packets;
    EXPECT_FALSE(step->dropped) << "an unfinished packet was dropped";
    if (step->packet) packets.push_back(PacketCopy::Of(*step->packet));
  }
  ADD_FAILURE() << "the reader did not reach EOF";
  return packets;
}

ReadResult ScriptedSource::Read(MutableBytes buffer) {
  ++reads_;
  if (steps_.empty()) return ReadResult{0, EofError()};
  Step& step = steps_.front();
  const size_t n = std::min(buffer.size(), step.bytes.size());
  std::copy_n(step.bytes.begin(), n, buffer.begin());
  if (n < step.bytes.size()) {
    // The rest of this step comes on the next read, still before its error.
    step.bytes.erase(step.bytes.begin(), step.bytes.begin() + static_cast<ptrdiff_t>(n));
    return ReadResult{n, Status()};
  }
  ReadResult read{n, step.err};
  steps_.pop_front();
  return read;
}

Status FailingSink::Write(Bytes data) {
  if (writes_++ >= fail_at_) return ConnectionError("sink broke");
  written_.insert(written_.end(), data.begin(), data.end());
  return Status();
}

std::vector<uint8_t> Capture(std::string_view name) {
  const std::string path = std::string(WIRE_TESTDATA_DIR) + "/" + std::string(name) + ".hex";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream text;
  text << in.rdbuf();
  return Hex(text.str());
}

}  // namespace drpc::wire::testing
