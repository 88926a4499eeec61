#include "drpc/wire/split.h"

#include <cstdint>

#include "drpc/base/check.h"

namespace drpc::wire {

size_t SplitChunkSize(int64_t split_size) {
  if (split_size == 0) return kDefaultSplitSize;
  if (split_size < 0) return SIZE_MAX;
  return static_cast<size_t>(split_size);
}

size_t SplitFrameCount(size_t data_size, int64_t split_size) {
  if (data_size == 0) return 1;
  const size_t chunk = SplitChunkSize(split_size);
  return data_size / chunk + (data_size % chunk != 0 ? 1 : 0);
}

PacketSplitter::PacketSplitter(const Packet& packet, int64_t split_size)
    : packet_(packet), chunk_size_(SplitChunkSize(split_size)) {
  DRPC_ASSERT(chunk_size_ > 0, "split chunk size must be positive");
}

Frame PacketSplitter::Next() {
  DRPC_ASSERT(!finished_, "PacketSplitter::Next after the last frame");
  const size_t remaining = packet_.data.size() - offset_;
  const size_t take = remaining < chunk_size_ ? remaining : chunk_size_;
  Frame frame;
  frame.stream_id = packet_.stream_id;
  frame.message_id = packet_.message_id;
  frame.kind = packet_.kind;
  frame.control = packet_.control;
  frame.data = packet_.data.subspan(offset_, take);
  offset_ += take;
  frame.done = offset_ == packet_.data.size();
  finished_ = frame.done;
  // Every frame but an empty packet's only one carries at least one byte, so
  // the splitter ends after SplitFrameCount() frames.
  DRPC_CHECKED_ASSERT(take > 0 || packet_.data.empty(), "splitter made no progress");
  return frame;
}

}  // namespace drpc::wire
