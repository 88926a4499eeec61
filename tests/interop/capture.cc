#include "tests/interop/capture.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <utility>

#include "drpc/base/buffer.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/varint.h"

namespace drpc::interop {
namespace {

std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
      out += hex;
    }
  }
  return out + "\"";
}

// A length-delimited field at the front of `in`: its tag must be `tag`.
// Returns false (and leaves `in`) if the bytes are not one.
bool TakeField(std::string_view& in, uint8_t tag, std::string_view* field,
               std::string_view* whole) {
  if (in.empty() || static_cast<uint8_t>(in[0]) != tag) return false;
  const wire::VarintParse length = wire::ParseVarint(AsBytes(in.substr(1)));
  if (length.status != wire::VarintStatus::kOk) return false;
  const size_t header = 1 + length.consumed;
  if (length.value > in.size() - header) return false;
  *field = in.substr(header, length.value);
  if (whole != nullptr) *whole = in.substr(0, header + length.value);
  in.remove_prefix(header + length.value);
  return true;
}

// "{key: \"value\", ...}" in wire order, or the raw bytes if malformed.
std::string DescribeMetadata(std::string_view data) {
  std::string out = "{";
  std::string_view rest = data;
  // Every entry takes at least 2 bytes.
  for (size_t round = 0; !rest.empty() && round <= data.size(); ++round) {
    std::string_view entry, key, value;
    if (!TakeField(rest, 0x0a, &entry, nullptr) || !TakeField(entry, 0x0a, &key, nullptr) ||
        !TakeField(entry, 0x12, &value, nullptr) || !entry.empty()) {
      return "malformed metadata " + Quote(data);
    }
    if (out.size() > 1) out += ", ";
    out += std::string(key) + ": " + Quote(value);
  }
  return out + "}";
}

std::string Cell(const std::vector<WireFrame>& frames, size_t i) {
  return i < frames.size() ? Describe(frames[i]) : "(none)";
}

bool SameFrame(const WireFrame& a, const WireFrame& b, MetadataOrder order) {
  if (a.kind != b.kind || a.stream_id != b.stream_id || a.message_id != b.message_id ||
      a.done != b.done || a.control != b.control) {
    return false;
  }
  if (order == MetadataOrder::kAny && a.is(wire::Kind::kInvokeMetadata) && a.done && b.done) {
    std::vector<std::string> ea = MetadataEntries(a.data);
    std::vector<std::string> eb = MetadataEntries(b.data);
    std::sort(ea.begin(), ea.end());
    std::sort(eb.begin(), eb.end());
    return !ea.empty() && ea == eb;
  }
  return a.data == b.data;
}

}  // namespace

WireFrame WireFrame::Of(const wire::Frame& frame, drpc::Bytes encoded) {
  return WireFrame{frame.kind,
                   frame.stream_id,
                   frame.message_id,
                   frame.done,
                   frame.control,
                   ToString(frame.data),
                   std::vector<uint8_t>(encoded.begin(), encoded.end())};
}

WireFrame WireFrame::WithData(std::string new_data) const {
  WireFrame out = *this;
  out.data = std::move(new_data);
  Buffer bytes;
  wire::AppendFrame(bytes,
                    wire::Frame{stream_id, message_id, kind, done, control, AsBytes(out.data)});
  out.encoded.assign(bytes.view().begin(), bytes.view().end());
  return out;
}

std::string Describe(const WireFrame& frame) {
  std::string out = std::string(wire::KindName(frame.kind)) + " s" +
                    std::to_string(frame.stream_id) + " m" + std::to_string(frame.message_id);
  if (frame.done) out += " done";
  if (frame.control) out += " control";
  if (frame.data.empty()) return out;
  if (frame.is(wire::Kind::kError) && frame.done) {
    const wire::ErrorPayload error = wire::DecodeErrorPayload(AsBytes(frame.data));
    return out + " code " + std::to_string(error.code) + " " + Quote(error.text);
  }
  if (frame.is(wire::Kind::kInvokeMetadata) && frame.done) {
    return out + " " + DescribeMetadata(frame.data);
  }
  return out + " " + Quote(frame.data);
}

void PrintTo(const WireFrame& frame, std::ostream* os) { *os << Describe(frame); }

ParsedFrames ParseFrames(drpc::Bytes bytes) {
  ParsedFrames parsed;
  // Every frame takes at least kMinFrameSize bytes.
  const size_t max_frames = bytes.size() / wire::kMinFrameSize + 1;
  for (size_t i = 0; !bytes.empty() && i < max_frames; ++i) {
    const wire::FrameParse frame = wire::ParseFrame(bytes);
    if (frame.status != wire::ParseStatus::kOk) break;
    parsed.frames.push_back(WireFrame::Of(frame.frame, bytes.first(frame.consumed)));
    bytes = bytes.subspan(frame.consumed);
  }
  parsed.rest.assign(bytes.begin(), bytes.end());
  return parsed;
}

Capture Capture::Load(std::string_view name) {
  Capture capture{std::string(name), {}};
  const std::string path = std::string(INTEROP_CAPTURE_DIR) + "/" + capture.name + ".hex";
  std::ifstream in(path);
  if (!in.good()) {
    ADD_FAILURE() << "cannot open capture " << path;
    return capture;
  }
  std::string line;
  // The files hold a handful of frames; the bound only stops a runaway file.
  for (int n = 0; n < 10'000 && std::getline(in, line); ++n) {
    if (line.empty()) continue;
    std::vector<uint8_t> bytes;
    for (size_t i = 0; i + 1 < line.size(); i += 2) {
      bytes.push_back(static_cast<uint8_t>(std::stoi(line.substr(i, 2), nullptr, 16)));
    }
    if (line.size() % 2 != 0) ADD_FAILURE() << path << ": odd number of hex digits: " << line;
    ParsedFrames frames = ParseFrames(bytes);
    if (frames.frames.size() != 1 || !frames.rest.empty()) {
      ADD_FAILURE() << path << ": a line is not exactly one frame: " << line;
      return capture;
    }
    capture.frames.push_back(std::move(frames.frames[0]));
  }
  if (capture.frames.empty()) ADD_FAILURE() << path << " has no frames";
  return capture;
}

std::vector<uint8_t> Capture::Slice(size_t first, size_t last) const {
  EXPECT_LE(first, last);
  EXPECT_LE(last, frames.size());
  return Join(std::vector<WireFrame>(frames.begin() + static_cast<ptrdiff_t>(first),
                                     frames.begin() + static_cast<ptrdiff_t>(last)));
}

std::vector<WireFrame> Capture::WithoutLast(size_t n) const {
  EXPECT_LE(n, frames.size());
  return std::vector<WireFrame>(frames.begin(), frames.end() - static_cast<ptrdiff_t>(n));
}

std::vector<uint8_t> Join(const std::vector<WireFrame>& frames) {
  std::vector<uint8_t> out;
  for (const WireFrame& frame : frames) {
    out.insert(out.end(), frame.encoded.begin(), frame.encoded.end());
  }
  return out;
}

::testing::AssertionResult SameFrames(const std::vector<WireFrame>& expected,
                                      const ParsedFrames& actual, MetadataOrder order) {
  // Where the lists first disagree; if one is a prefix of the other, the
  // first frame missing from the shorter one.
  size_t first_difference = std::min(expected.size(), actual.frames.size());
  for (size_t i = 0; i < std::min(expected.size(), actual.frames.size()); ++i) {
    if (!SameFrame(expected[i], actual.frames[i], order)) {
      first_difference = i;
      break;
    }
  }
  const bool same = first_difference == expected.size() &&
                    expected.size() == actual.frames.size() && actual.rest.empty();
  if (same) return ::testing::AssertionSuccess();
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  failure << "frames differ (expected = the Go peer's capture, actual = what the C++ side "
             "wrote)\n";
  char line[512];
  std::snprintf(line, sizeof(line), "   %-3s %-66s %s\n", "#", "expected", "actual");
  failure << line;
  for (size_t i = 0; i < std::max(expected.size(), actual.frames.size()); ++i) {
    std::snprintf(line, sizeof(line), "%s %-3zu %-66s %s\n", i == first_difference ? ">>" : "  ", i,
                  Cell(expected, i).c_str(), Cell(actual.frames, i).c_str());
    failure << line;
  }
  if (!actual.rest.empty()) {
    failure << "actual ends with bytes that are not a whole frame: "
            << HexLines(drpc::Bytes(actual.rest)) << "\n";
  }
  return failure;
}

::testing::AssertionResult SameBytes(const std::vector<uint8_t>& expected,
                                     const std::vector<uint8_t>& actual) {
  if (expected == actual) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "bytes differ\nexpected (the Go peer's capture):\n"
         << HexLines(drpc::Bytes(expected)) << "actual (the C++ side):\n"
         << HexLines(drpc::Bytes(actual));
}

std::vector<std::string> MetadataEntries(std::string_view data) {
  std::vector<std::string> entries;
  std::string_view rest = data;
  for (size_t round = 0; !rest.empty() && round <= data.size(); ++round) {
    std::string_view entry, whole;
    if (!TakeField(rest, 0x0a, &entry, &whole)) return {};
    entries.emplace_back(whole);
  }
  return entries;
}

std::string HexLines(drpc::Bytes bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  const ParsedFrames parsed = ParseFrames(bytes);
  auto append_hex = [&](const std::vector<uint8_t>& b) {
    out += "  ";
    for (uint8_t byte : b) {
      out += kDigits[byte >> 4];
      out += kDigits[byte & 15];
    }
    out += '\n';
  };
  for (const WireFrame& frame : parsed.frames) append_hex(frame.encoded);
  if (!parsed.rest.empty()) append_hex(parsed.rest);
  if (bytes.empty()) out += "  (nothing)\n";
  return out;
}

}  // namespace drpc::interop
