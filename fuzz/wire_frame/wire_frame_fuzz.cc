// Fuzz target: one ParseFrame over arbitrary bytes (Go's FuzzParseFrame, plus
// a round trip). If the parse accepts, re-encoding the frame and parsing that
// gives the same frame; the re-encoding is never longer than what was parsed
// (the encoder writes minimal varints, the input may not, so the bytes
// themselves may differ). Every strict prefix of an accepted frame must need
// more data, and the parser never reads past the span (ASan).
#include <cstddef>
#include <cstdint>

#include "drpc/wire/frame.h"
#include "fuzz/fuzz_check.h"

namespace {

constexpr drpc::fuzz::Checker Check{"wire_frame"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace drpc::wire;  // NOLINT: a fuzz driver
  const drpc::Bytes input(data, size);

  const FrameParse parsed = ParseFrame(input);
  const HeaderParse head = ParseFrameHeader(input);
  if (parsed.status == ParseStatus::kMalformed) {
    Check(head.status == ParseStatus::kMalformed, "frame and header parse disagree");
    Check(!parsed.error.empty(), "malformed without a reason");
    return 0;
  }
  if (parsed.status == ParseStatus::kNeedMore) {
    Check(head.status != ParseStatus::kMalformed, "frame and header parse disagree");
    if (head.status == ParseStatus::kOk) {
      Check(head.header.data_size > size - head.header.header_size, "need more with all data");
    }
    return 0;
  }
  Check(head.status == ParseStatus::kOk, "frame and header parse disagree");
  Check(parsed.consumed <= size, "consumed past the input");
  Check(parsed.consumed == head.header.header_size + parsed.frame.data.size(), "bad size");
  Check(parsed.consumed - parsed.frame.data.size() <= kMaxFrameOverhead, "header too long");

  drpc::Buffer out;
  AppendFrame(out, parsed.frame);
  Check(out.size() <= parsed.consumed, "re-encoding is longer than the input");
  const FrameParse again = ParseFrame(out.view());
  Check(again.status == ParseStatus::kOk, "re-encoded frame does not parse");
  Check(again.consumed == out.size(), "re-encoded frame not used whole");
  Check(again.frame == parsed.frame, "round trip changed the frame");

  // Prefixes of the re-encoding (cheap: at most 31 + data bytes, sampled).
  for (size_t cut = 0; cut < out.size(); cut += 1 + cut / 4) {
    Check(ParseFrame(out.view().first(cut)).status == ParseStatus::kNeedMore,
          "a strict prefix parsed as a whole frame");
  }
  return 0;
}
