// Frame encoding properties: parse(encode(frame)) is the frame, every strict
// prefix needs more data, and non-minimal varints parse to the same frame.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "drpc/wire/frame.h"
#include "properties/wire/generators.h"

namespace drpc::wire {
namespace {

using testing::FrameCopy;

// Writes `value` as a varint of exactly `size` bytes (>= its minimal size,
// <= 10) by padding with continuation groups of zero bits.
void AppendPaddedVarint(std::string& out, uint64_t value, size_t size) {
  for (size_t i = 0; i + 1 < size; ++i) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value & 0x7f);
}

RC_GTEST_PROP(WireFrameProps, ParseOfEncodeIsIdentity, ()) {
  const FrameCopy frame = *props::GenFrame();
  Buffer out;
  AppendFrame(out, frame.view());
  RC_ASSERT(out.size() == EncodedFrameSize(frame.view()));
  RC_ASSERT(out.size() <= frame.data.size() + kMaxFrameOverhead);
  const FrameParse parsed = ParseFrame(out.view());
  RC_ASSERT(parsed.status == ParseStatus::kOk);
  RC_ASSERT(FrameCopy::Of(parsed.frame) == frame);
  RC_ASSERT(parsed.consumed == out.size());
  RC_CLASSIFY(frame.data.empty(), "empty data");
}

RC_GTEST_PROP(WireFrameProps, EveryStrictPrefixNeedsMore, ()) {
  const FrameCopy frame = *props::GenFrame();
  Buffer out;
  AppendFrame(out, frame.view());
  const size_t cut = *rc::gen::inRange<size_t>(0, out.size());
  RC_ASSERT(ParseFrame(out.view().first(cut)).status == ParseStatus::kNeedMore);
}

RC_GTEST_PROP(WireFrameProps, NonMinimalVarintsParseToTheSameFrame, ()) {
  const FrameCopy frame = *props::GenFrame();
  std::string bytes;
  bytes += static_cast<char>((frame.kind << kKindShift) | (frame.done ? kDoneBit : 0) |
                             (frame.control ? kControlBit : 0));
  for (uint64_t value : {frame.stream_id, frame.message_id, uint64_t{frame.data.size()}}) {
    const size_t size = *rc::gen::inRange<size_t>(VarintSize(value), kMaxVarintSize + 1);
    AppendPaddedVarint(bytes, value, size);
  }
  bytes += frame.data;
  const FrameParse parsed = ParseFrame(AsBytes(bytes));
  RC_ASSERT(parsed.status == ParseStatus::kOk);
  RC_ASSERT(FrameCopy::Of(parsed.frame) == frame);
  RC_ASSERT(parsed.consumed == bytes.size());
}

}  // namespace
}  // namespace drpc::wire
