// Stream: the packet being assembled, in the pooled buffer it will be
// queued in, so a received message's bytes are copied once: from the
// transport (or the frame reader's read-ahead) into that buffer
// (docs/stream.md, "Receiving in place"). Reader task only.
#include <string>
#include <string_view>

#include "drpc/base/copy_count.h"
#include "drpc/base/plant.h"
#include "drpc/stream/stream.h"

namespace drpc::stream {

MutableBytes Stream::PayloadDestination(const wire::FrameHeader& header) {
  if (header.data_size == 0 || header.kind != wire::ToRaw(wire::Kind::kMessage)) return {};
  if (term_.is_set() || !assembler_.AppendsCleanly(header)) return {};
  const size_t held = partial_.has_value() ? partial_.size() : 0;
  DRPC_CHECKED_ASSERT(held == assembler_.assembled_size(),
                      "stream " + std::to_string(id_) +
                          ": the assembly buffer and the assembler disagree on the packet's size");
  const size_t size = static_cast<size_t>(header.data_size);
  const size_t total = held + size;
  if (!partial_.has_value()) {
    partial_ = ring_.TryStartAssembly(total, !header.done);
    if (!partial_.has_value()) return {};  // HandleFrame reports it
  } else if (!ring_.TryGrowAssembly(partial_, total, options_.max_packet_size)) {
    return {};
  }
  return MutableBytes(partial_.bytes().data() + held, size);
}

void Stream::PayloadReadFailed() {
  if (DRPC_PLANT(kAssemblyPutOnTeardown) && partial_.has_value()) {
    partial_.Reset();  // a plain "put": the ledger wants the reason
    return;
  }
  EndPartial("abandoned: connection torn down");
}

Status Stream::PlaceFrameData(const wire::Frame& frame) {
  const Bytes data = frame.data;
  const size_t held = partial_.has_value() ? partial_.size() : 0;
  if (partial_.has_value() && !data.empty() && data.data() == partial_.bytes().data() + held) {
    // Read in place (PayloadDestination): only the size moves.
    partial_.bytes().Resize(held + data.size());
    return OkStatus();
  }
  const bool message = frame.kind == wire::ToRaw(wire::Kind::kMessage);
  // A one-frame packet of another kind is used from the frame as it is.
  if (!message && frame.done && !partial_.has_value()) return OkStatus();
  // A Message always has a buffer to be queued in; other packets only need
  // one for their bytes.
  if (data.empty() && (partial_.has_value() || !message)) return OkStatus();
  const size_t total = held + data.size();
  const bool room = partial_.has_value()
                        ? ring_.TryGrowAssembly(partial_, total, options_.max_packet_size)
                        : (partial_ = ring_.TryStartAssembly(total, !frame.done)).has_value();
  if (!room) {
    return ResourceExhaustedError("stream " + std::to_string(id_) +
                                  ": the connection's memory budget has no room for a " +
                                  (frame.done && held == 0 ? "message of " : "partial packet of ") +
                                  std::to_string(total) + " bytes");
  }
  partial_.bytes().Append(data);
  CountCopy(CopyPath::kReceive, data.size());
  return OkStatus();
}

void Stream::EndPartial(const char* reason) {
  if (!partial_.has_value()) return;
  const std::string_view why(reason);
  if ((DRPC_PLANT(kAssemblyLeakOnCancel) && (why.starts_with("abandoned: stream canceled") ||
                                             why.starts_with("abandoned: stream destroyed"))) ||
      (DRPC_PLANT(kAssemblyLeakOverLimit) && why.starts_with("abandoned: packet over"))) {
    ring_.LeakAssembly(std::move(partial_));
    return;
  }
  ring_.EndAssembly(std::move(partial_), reason);
}

}  // namespace drpc::stream
