// wire::PacketAssembler: joins one stream's frames into packets with the
// fork's rules (drpc-protocol.md §1.7), bounded by max_packet_size.
//
//   PacketAssembler assembler(stream_id);
//   Result<AssembleStep> step = assembler.Append(frame);
//   if (!step.ok()) return Fail(step.status());  // final: the stream or connection fails
//   if (step->packet) Deliver(*step->packet);   // valid until the next Append
//
// Not thread-safe; one per stream. The rules, in the order they are checked,
// and the lifetime of a packet's data: docs/wire.md, "Packet assembler".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "drpc/base/resource_meter.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/internal/capped_buffer.h"
#include "drpc/wire/packet.h"

namespace drpc::wire {

inline constexpr size_t kDefaultMaxPacketSize = size_t{4} << 20;  // 4 MiB, as the frame limit

struct AssemblerOptions {
  size_t max_packet_size = kDefaultMaxPacketSize;
  // Counts the partial packet's buffer (kAssembler); null: not counted. Must
  // outlive the assembler.
  ResourceMeter* meter = nullptr;
  // The buffer grows only while the meter's total stays within its
  // ReceiveLimit: a frame that would take it past fails the assembler with
  // kResourceExhausted (the stream fails, docs/resources.md).
  bool enforce_budget = false;
  // False: the assembler checks the rules and counts the packet's size but
  // keeps no bytes; the caller keeps them (a stream assembles into a pooled
  // buffer, so a packet's bytes are copied once, docs/stream.md). A
  // completed packet's data is then empty. meter and enforce_budget are
  // unused.
  bool store_data = true;
};

// What one Append did.
struct AssembleStep {
  std::optional<Packet> packet;  // set when this frame completed a packet
  bool dropped = false;          // this frame superseded an unfinished packet
  uint8_t dropped_kind = 0;      // that packet's kind (when dropped)
  size_t dropped_bytes = 0;      // the data it had so far (when dropped; 0 otherwise)
};

class PacketAssembler {
 public:
  // Accepts only frames of `stream_id`.
  explicit PacketAssembler(uint64_t stream_id, AssemblerOptions options = {});
  // Takes the stream id of the first frame it is given (the manager uses this
  // for an invoke that has no stream yet).
  static PacketAssembler ForFirstStream(AssemblerOptions options = {});

  PacketAssembler(PacketAssembler&&) noexcept = default;
  PacketAssembler& operator=(PacketAssembler&&) noexcept = default;

  // Checks `frame` against the rules and adds it. An error (ProtocolError,
  // kMessageSize past max_packet_size, or ResourceExhausted when the
  // connection's budget has no room for it) is final: later calls return it. A
  // completed packet's data is valid until the next Append or Reset, and
  // never longer than the data of the frame that completed it.
  Result<AssembleStep> Append(const Frame& frame);

  // Whether Append of a frame with this header would add its data to a
  // packet (a new one or the one being assembled) without failing and
  // without dropping a partial packet. Changes nothing.
  bool AppendsCleanly(const FrameHeader& header) const;

  // Drops an unfinished packet and returns how many bytes it held. Keeps the
  // stream id and the expected message id.
  size_t Reset();

  std::optional<uint64_t> stream_id() const { return stream_id_; }
  // The lowest message id the next frame may carry.
  uint64_t expected_message_id() const { return expected_; }
  bool assembling() const { return assembling_; }
  // The data bytes of the packet being assembled (0 when none).
  size_t assembled_size() const { return assembling_ ? Held() : 0; }
  size_t buffer_capacity() const { return data_.capacity(); }

 private:
  // A joined buffer bigger than this is freed when a packet that used less
  // than half of it is done with, so an idle stream does not keep a large
  // message's memory (see StartOver).
  static constexpr size_t kMaxRetainedCapacity = 64 * 1024;

  PacketAssembler(std::optional<uint64_t> stream_id, AssemblerOptions options);
  // Forgets the packet being assembled; returns its size.
  size_t StartOver();
  Status Fail(Status status);
  size_t Held() const { return store_data_ ? data_.size() : held_; }
  // A packet completed with `message_id`: the next must carry a higher one.
  void Complete(uint64_t message_id);
  // Room for `size` bytes in data_, counted in the meter first; false if the
  // budget (enforce_budget) has none.
  bool Grow(size_t size);

  std::optional<uint64_t> stream_id_;
  size_t max_packet_size_;
  uint64_t expected_ = 1;
  bool ids_exhausted_ = false;  // message id 2^64-1 completed: nothing can follow
  bool assembling_ = false;
  uint8_t kind_ = 0;
  bool control_ = false;
  internal::CappedBuffer data_;
  MeteredBytes metered_;  // data_'s capacity
  bool enforce_budget_;
  bool store_data_;
  size_t held_ = 0;  // the packet's bytes so far when !store_data_
  Status failed_;
};

}  // namespace drpc::wire
