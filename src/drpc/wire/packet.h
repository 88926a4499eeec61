// wire::Packet: the unit of meaning, sent as one or more frames that share
// (stream id, message id, kind); its data is their data joined in order
// (drpc-protocol.md §1.6). PacketAssembler makes them; FrameWriter sends
// them. See docs/wire.md.
#pragma once

#include <algorithm>
#include <cstdint>

#include "drpc/base/bytes.h"

namespace drpc::wire {

struct Packet {
  uint64_t stream_id = 0;
  uint64_t message_id = 0;
  uint8_t kind = 0;      // raw kind, 0..63
  bool control = false;  // sent on every frame of the packet (§1.5)
  Bytes data;            // a view; who made the packet says how long it lives

  // Equal fields and equal data bytes.
  friend bool operator==(const Packet& a, const Packet& b) {
    return a.stream_id == b.stream_id && a.message_id == b.message_id && a.kind == b.kind &&
           a.control == b.control && std::ranges::equal(a.data, b.data);
  }
};

}  // namespace drpc::wire
