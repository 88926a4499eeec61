#include "drpc/wire/frame.h"

#include <cstring>
#include <string>

#include "drpc/wire/kind.h"

namespace drpc::wire {
namespace {

constexpr std::string_view kVarintTooLong = "varint too long";

// Reads one varint at `in[*pos]`, advancing *pos. Returns kOk, kNeedMore or
// kMalformed.
inline ParseStatus ReadField(Bytes in, size_t* pos, uint64_t* value) {
  const VarintParse parsed = ParseVarint(in.subspan(*pos));
  switch (parsed.status) {
    case VarintStatus::kOk:
      *value = parsed.value;
      *pos += parsed.consumed;
      return ParseStatus::kOk;
    case VarintStatus::kNeedMore:
      return ParseStatus::kNeedMore;
    case VarintStatus::kTooLong:
      return ParseStatus::kMalformed;
  }
  return ParseStatus::kMalformed;
}

}  // namespace

size_t EncodedFrameSize(const Frame& frame) {
  return 1 + VarintSize(frame.stream_id) + VarintSize(frame.message_id) +
         VarintSize(frame.data.size()) + frame.data.size();
}

void AppendFrame(Buffer& out, const Frame& frame) {
  DRPC_ASSERT(frame.kind <= kMaxKind, "frame kind does not fit in 6 bits");
  const size_t size = EncodedFrameSize(frame);
  uint8_t* const start = out.Extend(size);
  uint8_t* cursor = start;
  *cursor++ = static_cast<uint8_t>((frame.kind << kKindShift) | (frame.done ? kDoneBit : 0) |
                                   (frame.control ? kControlBit : 0));
  cursor = WriteVarint(cursor, frame.stream_id);
  cursor = WriteVarint(cursor, frame.message_id);
  cursor = WriteVarint(cursor, frame.data.size());
  if (!frame.data.empty()) std::memcpy(cursor, frame.data.data(), frame.data.size());
  cursor += frame.data.size();
  DRPC_CHECKED_ASSERT(static_cast<size_t>(cursor - start) == size,
                      "EncodedFrameSize disagrees with AppendFrame");
}

HeaderParse ParseFrameHeader(Bytes in) {
  HeaderParse result;
  // Go asks for 4 bytes before looking; shorter input can never be a whole
  // header, so this only saves work.
  if (in.size() < kMinFrameSize) return result;
  const uint8_t byte = in[0];
  FrameHeader& header = result.header;
  header.done = (byte & kDoneBit) != 0;
  header.kind = static_cast<uint8_t>((byte >> kKindShift) & kKindMask);
  header.control = (byte & kControlBit) != 0;
  size_t pos = 1;
  ParseStatus status = ReadField(in, &pos, &header.stream_id);
  if (status == ParseStatus::kOk) status = ReadField(in, &pos, &header.message_id);
  if (status == ParseStatus::kOk) status = ReadField(in, &pos, &header.data_size);
  result.status = status;
  if (status == ParseStatus::kMalformed) result.error = kVarintTooLong;
  if (status != ParseStatus::kOk) return result;
  DRPC_CHECKED_ASSERT(pos <= kMaxFrameOverhead && pos <= in.size(), "header parse overran");
  header.header_size = pos;
  return result;
}

FrameParse ParseFrame(Bytes in) {
  FrameParse result;
  const HeaderParse head = ParseFrameHeader(in);
  if (head.status != ParseStatus::kOk) {
    result.status = head.status;
    result.error = head.error;
    return result;
  }
  const FrameHeader& header = head.header;
  // Compare against what is present without forming header_size + L, which
  // can overflow for a hostile L.
  if (header.data_size > in.size() - header.header_size) return result;  // kNeedMore
  const size_t data_size = static_cast<size_t>(header.data_size);
  result.status = ParseStatus::kOk;
  result.frame.stream_id = header.stream_id;
  result.frame.message_id = header.message_id;
  result.frame.kind = header.kind;
  result.frame.done = header.done;
  result.frame.control = header.control;
  result.frame.data = in.subspan(header.header_size, data_size);
  result.consumed = header.header_size + data_size;
  return result;
}

Status MalformedFrameError(std::string_view why) { return ProtocolError(std::string(why)); }

}  // namespace drpc::wire
