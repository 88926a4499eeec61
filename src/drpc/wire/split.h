// How a packet's data is cut into frames (Go SplitN / SplitData, §1.6).
//
//   for (PacketSplitter split(packet, split_size); !split.finished();) Use(split.Next());
//
// `split_size` follows Go's int: 0 means the default of 64 KiB, a negative
// value means never split, a positive value is the most data bytes per frame.
// Only the last frame has done set; an empty payload is still one frame. See
// docs/wire.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drpc/wire/frame.h"
#include "drpc/wire/packet.h"

namespace drpc::wire {

inline constexpr size_t kDefaultSplitSize = 64 * 1024;

// The most data bytes one frame carries for `split_size` (SIZE_MAX: no limit).
size_t SplitChunkSize(int64_t split_size);

// How many frames a packet with `data_size` bytes becomes (always >= 1).
size_t SplitFrameCount(size_t data_size, int64_t split_size);

// Produces the frames of one packet in order:
//   for (PacketSplitter split(packet, n); !split.finished();) Use(split.Next());
// The frames' data views alias packet.data.
class PacketSplitter {
 public:
  PacketSplitter(const Packet& packet, int64_t split_size);

  bool finished() const { return finished_; }
  // The next frame. Must not be called once finished().
  Frame Next();

 private:
  Packet packet_;
  size_t chunk_size_;
  size_t offset_ = 0;
  bool finished_ = false;
};

}  // namespace drpc::wire
