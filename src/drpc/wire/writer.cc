#include "drpc/wire/writer.h"

#include "drpc/base/copy_count.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/split.h"
#include "drpc/wire/varint.h"

namespace drpc::wire {

void AppendFrameHeader(Buffer& out, const Frame& frame) {
  DRPC_ASSERT(frame.kind <= kMaxKind, "frame kind does not fit in 6 bits");
  out.PushBack(static_cast<uint8_t>((frame.kind << kKindShift) | (frame.done ? kDoneBit : 0) |
                                    (frame.control ? kControlBit : 0)));
  AppendVarint(out, frame.stream_id);
  AppendVarint(out, frame.message_id);
  AppendVarint(out, frame.data.size());
}

void AppendFrameCopied(Buffer& out, const Frame& frame) {
  AppendFrame(out, frame);
  CountCopy(CopyPath::kSend, frame.data.size());
}

FrameWriter::FrameWriter(ByteSink& sink, WriterOptions options) : sink_(sink), options_(options) {}

Status FrameWriter::WriteFrame(const Frame& frame) {
  if (!failed_.ok()) return failed_;
  AppendFrameCopied(buffer_, frame);
  if (buffer_.size() >= options_.buffer_size) return Flush();
  return Status();
}

Status FrameWriter::WritePacket(const Packet& packet) {
  if (!failed_.ok()) return failed_;
  // One frame per chunk; the splitter yields at most SplitFrameCount() frames.
  const size_t frames = SplitFrameCount(packet.data.size(), options_.split_size);
  size_t written = 0;
  for (PacketSplitter split(packet, options_.split_size); !split.finished();) {
    DRPC_ASSERT(written < frames, "PacketSplitter made more frames than it promised");
    Status status = WriteFrame(split.Next());
    if (!status.ok()) return status;
    ++written;
  }
  DRPC_CHECKED_ASSERT(written == frames, "PacketSplitter made fewer frames than it promised");
  return Status();
}

Status FrameWriter::Flush() {
  if (!failed_.ok()) return failed_;
  if (buffer_.empty()) return Status();
  Status status = sink_.Write(buffer_.view());
  buffer_.clear();
  if (!status.ok()) return Fail(std::move(status));
  return Status();
}

Status FrameWriter::Fail(Status status) {
  failed_ = status;
  buffer_.clear();
  return status;
}

}  // namespace drpc::wire
