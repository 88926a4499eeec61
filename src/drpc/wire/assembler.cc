#include "drpc/wire/assembler.h"

#include <limits>
#include <string>

#include "drpc/base/plant.h"
#include "drpc/wire/kind.h"

namespace drpc::wire {

PacketAssembler::PacketAssembler(uint64_t stream_id, AssemblerOptions options)
    : PacketAssembler(std::optional<uint64_t>(stream_id), options) {}

PacketAssembler PacketAssembler::ForFirstStream(AssemblerOptions options) {
  return PacketAssembler(std::nullopt, options);
}

PacketAssembler::PacketAssembler(std::optional<uint64_t> stream_id, AssemblerOptions options)
    : stream_id_(stream_id),
      max_packet_size_(options.max_packet_size),
      data_(options.max_packet_size),
      metered_(options.meter, ResourceKind::kAssembler),
      enforce_budget_(options.enforce_budget),
      store_data_(options.store_data) {
  DRPC_ASSERT(options.max_packet_size > 0, "max_packet_size must be positive");
}

Result<AssembleStep> PacketAssembler::Append(const Frame& frame) {
  if (!failed_.ok()) return failed_;
  if (!stream_id_.has_value()) {
    stream_id_ = frame.stream_id;
  } else if (frame.stream_id != *stream_id_) {
    return Fail(ProtocolError("frame stream mismatch: got stream " +
                              std::to_string(frame.stream_id) + ", expected " +
                              std::to_string(*stream_id_)));
  }
  if (ids_exhausted_ || frame.message_id < expected_) {
    return Fail(
        ProtocolError("message id monotonicity violation: got " + std::to_string(frame.message_id) +
                      (ids_exhausted_ ? std::string(", no id can follow 18446744073709551615")
                                      : ", expected >= " + std::to_string(expected_))));
  }

  AssembleStep step;
  const bool continues = assembling_ && frame.message_id == expected_;
  if (!continues) {
    if (assembling_) {
      step.dropped = true;
      step.dropped_kind = kind_;
    }
    if (!step.dropped || !DRPC_PLANT(kWirePartialKeptAcrossId)) step.dropped_bytes = StartOver();
    expected_ = frame.message_id;
    kind_ = frame.kind;
  } else if (frame.kind != kind_) {
    return Fail(ProtocolError("frame kind changed mid-packet: got " +
                              std::string(KindName(frame.kind)) + " (" +
                              std::to_string(frame.kind) + "), expected " +
                              std::string(KindName(kind_)) + " (" + std::to_string(kind_) + ")"));
  }
  const size_t held = Held();
  DRPC_CHECKED_ASSERT(held <= max_packet_size_, "assembled data over its bound");
  if (frame.data.size() > max_packet_size_ - held) {
    return Fail(
        Status(ErrorKind::kMessageSize, "packet exceeds " + std::to_string(max_packet_size_) +
                                            " bytes (stream " + std::to_string(frame.stream_id) +
                                            ", message " + std::to_string(frame.message_id) + ")"));
  }
  control_ = frame.control;
  if (!store_data_) {
    held_ += frame.data.size();
    if (!frame.done) {
      assembling_ = true;
      return step;
    }
    Packet packet;
    packet.stream_id = frame.stream_id;
    packet.message_id = frame.message_id;
    packet.kind = kind_;
    packet.control = control_;
    Complete(frame.message_id);
    step.packet = packet;
    return step;
  }
  // The one-frame packet (nothing assembled yet, the frame completes it)
  // is handed out without a copy and needs no room.
  const bool copies = !frame.done || data_.size() != 0;
  if (copies && !Grow(data_.size() + frame.data.size())) {
    return Fail(Status(ErrorKind::kResourceExhausted,
                       "stream " + std::to_string(frame.stream_id) +
                           ": the connection's memory budget has no room for a partial packet "
                           "of " +
                           std::to_string(data_.size() + frame.data.size()) + " bytes"));
  }

  if (!frame.done) {
    data_.Append(frame.data);
    metered_.Set(data_.capacity());
    assembling_ = true;
    return step;
  }

  // Complete. A packet whose earlier frames brought no bytes is handed out
  // as the frame's own data, without a copy (the common one-frame case).
  Packet packet;
  packet.stream_id = frame.stream_id;
  packet.message_id = frame.message_id;
  packet.kind = kind_;
  packet.control = control_;
  if (data_.size() == 0) {
    packet.data = frame.data;
  } else {
    data_.Append(frame.data);
    metered_.Set(data_.capacity());
    packet.data = data_.view();
  }
  Complete(frame.message_id);
  step.packet = packet;
  return step;
}

void PacketAssembler::Complete(uint64_t message_id) {
  assembling_ = false;
  held_ = 0;
  if (message_id == std::numeric_limits<uint64_t>::max()) {
    ids_exhausted_ = true;
  } else {
    expected_ = message_id + 1;
  }
}

bool PacketAssembler::AppendsCleanly(const FrameHeader& header) const {
  if (!failed_.ok() || ids_exhausted_ || header.message_id < expected_) return false;
  if (stream_id_.has_value() && *stream_id_ != header.stream_id) return false;
  const bool continues = assembling_ && header.message_id == expected_;
  if (assembling_ && !continues) return false;  // it would drop the partial packet
  if (continues && header.kind != kind_) return false;
  const size_t held = continues ? Held() : 0;
  return header.data_size <= max_packet_size_ - held;
}

size_t PacketAssembler::Reset() {
  const size_t dropped = assembling_ ? Held() : 0;
  StartOver();
  return dropped;
}

size_t PacketAssembler::StartOver() {
  const size_t dropped = assembling_ ? Held() : 0;
  assembling_ = false;
  held_ = 0;
  // The buffer may still back the packet the previous Append returned; that
  // packet's lifetime ends with this call, so the memory is free to go. A
  // large buffer is kept while packets keep filling at least half of it (a
  // stream of big messages should not reallocate for each one) and freed
  // after a packet that used less, so an idle or small-message stream does
  // not hold a big message's memory.
  if (data_.capacity() > kMaxRetainedCapacity && data_.size() <= data_.capacity() / 2) {
    data_.Release();
    metered_.Set(0);
  } else {
    data_.clear();
  }
  return dropped;
}

Status PacketAssembler::Fail(Status status) {
  DRPC_ASSERT(!status.ok(), "PacketAssembler::Fail with an ok status");
  StartOver();
  // A failed assembler never assembles again: its memory goes now, not
  // with the stream.
  data_.Release();
  metered_.Set(0);
  failed_ = status;
  return status;
}

bool PacketAssembler::Grow(size_t size) {
  if (size <= data_.capacity()) return true;
  const size_t capacity = data_.CapacityAfterReserve(size);
  if (enforce_budget_ && metered_.meter() != nullptr) {
    if (!metered_.TrySet(capacity, metered_.meter()->ReceiveLimit())) return false;
  } else {
    metered_.Set(capacity);
  }
  data_.Reserve(size);
  DRPC_ASSERT(data_.capacity() == capacity, "the assembler grew by more than it counted");
  return true;
}

}  // namespace drpc::wire
