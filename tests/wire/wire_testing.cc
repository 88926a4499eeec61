#include "tests/wire/wire_testing.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace drpc::wire::testing {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<uint8_t> Hex(std::string_view text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    const int digit = HexDigit(c);
    if (digit < 0) {
      // Separators only: a space, a newline, or a byte of the UTF-8 "·".
      const bool separator = c == ' ' || c == '\n' || c == '\r' || c == '\t' ||
                             static_cast<unsigned char>(c) == 0xc2 ||
                             static_cast<unsigned char>(c) == 0xb7;
      EXPECT_TRUE(separator) << "bad character in hex: " << c;
      EXPECT_EQ(high, -1) << "odd hex digit before a separator";
      continue;
    }
    if (high < 0) {
      high = digit;
    } else {
      out.push_back(static_cast<uint8_t>(high * 16 + digit));
      high = -1;
    }
  }
  EXPECT_EQ(high, -1) << "odd number of hex digits";
  return out;
}

std::string ToHex(Bytes bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i != 0) out += ' ';
    out += kDigits[bytes[i] >> 4];
    out += kDigits[bytes[i] & 15];
  }
  return out;
}

std::vector<uint8_t> Repeat(uint8_t byte, size_t count) {
  return std::vector<uint8_t>(count, byte);
}

std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

FrameCopy FrameCopy::Of(const Frame& frame) {
  return FrameCopy{frame.stream_id, frame.message_id, frame.kind,
                   frame.done,      frame.control,    ToString(frame.data)};
}

Frame FrameCopy::view() const {
  Frame frame;
  frame.stream_id = stream_id;
  frame.message_id = message_id;
  frame.kind = kind;
  frame.done = done;
  frame.control = control;
  frame.data = AsBytes(data);
  return frame;
}

void PrintTo(const FrameCopy& frame, std::ostream* os) {
  *os << "{kind " << int{frame.kind} << " s" << frame.stream_id << " m" << frame.message_id
      << (frame.done ? " done" : "") << (frame.control ? " control" : "") << " data \""
      << frame.data << "\"}";
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

std::vector<FrameCopy> ParseAll(Bytes bytes) {
  std::vector<FrameCopy> frames;
  // Every frame takes at least 4 bytes, so there are at most size / 4 rounds.
  const size_t max_rounds = bytes.size() / kMinFrameSize + 1;
  for (size_t round = 0; !bytes.empty() && round < max_rounds; ++round) {
    const FrameParse parsed = ParseFrame(bytes);
    if (parsed.status != ParseStatus::kOk) {
      ADD_FAILURE() << "bytes do not end at a frame boundary; left: " << ToHex(bytes);
      return frames;
    }
    frames.push_back(FrameCopy::Of(parsed.frame));
    bytes = bytes.subspan(parsed.consumed);
  }
  return frames;
}

SourceRead ScriptedSource::Read(MutableBytes buffer) {
  ++reads_;
  if (steps_.empty()) return SourceRead{0, EofError()};
  Step& step = steps_.front();
  const size_t n = std::min(buffer.size(), step.bytes.size());
  std::copy_n(step.bytes.begin(), n, buffer.begin());
  if (n < step.bytes.size()) {
    // The rest of this step comes on the next read, still before its error.
    step.bytes.erase(step.bytes.begin(), step.bytes.begin() + static_cast<ptrdiff_t>(n));
    return SourceRead{n, Status()};
  }
  SourceRead read{n, step.err};
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
