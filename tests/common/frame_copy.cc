#include "tests/common/frame_copy.h"

#include <gtest/gtest.h>

#include "tests/common/hex.h"

namespace drpc::testing {

FrameCopy FrameCopy::Of(const wire::Frame& frame) {
  return FrameCopy{frame.stream_id, frame.message_id, frame.kind,
                   frame.done,      frame.control,    ToString(frame.data)};
}

wire::Frame FrameCopy::view() const {
  return wire::Frame{.stream_id = stream_id,
                     .message_id = message_id,
                     .kind = kind,
                     .done = done,
                     .control = control,
                     .data = AsBytes(data)};
}

void PrintTo(const FrameCopy& frame, std::ostream* os) {
  *os << "{kind " << int{frame.kind} << " s" << frame.stream_id << " m" << frame.message_id
      << (frame.done ? " done" : "") << (frame.control ? " control" : "") << " data \""
      << frame.data << "\"}";
}

std::vector<FrameCopy> ParseAll(Bytes bytes) {
  std::vector<FrameCopy> frames;
  // Every frame takes at least kMinFrameSize bytes: a bound on the rounds.
  const size_t max_rounds = bytes.size() / wire::kMinFrameSize + 1;
  for (size_t round = 0; !bytes.empty() && round < max_rounds; ++round) {
    const wire::FrameParse parsed = wire::ParseFrame(bytes);
    if (parsed.status != wire::ParseStatus::kOk) {
      ADD_FAILURE() << "bytes do not end at a frame boundary; left: " << ToHex(bytes);
      return frames;
    }
    frames.push_back(FrameCopy::Of(parsed.frame));
    bytes = bytes.subspan(parsed.consumed);
  }
  return frames;
}

}  // namespace drpc::testing
