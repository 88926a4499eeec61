#include "sim/peers/frame_mutations.h"

#include <optional>
#include <string>

#include "drpc/base/check.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/varint.h"

namespace drpc::sim::peers {
namespace {

Bytes AsBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

void AppendFrame(Buffer& out, uint64_t stream_id, uint64_t message_id, uint8_t kind, Bytes data,
                 bool done, bool control) {
  wire::AppendFrame(out, wire::Frame{.stream_id = stream_id,
                                     .message_id = message_id,
                                     .kind = kind,
                                     .done = done,
                                     .control = control,
                                     .data = data});
}

uint64_t AppendUnaryCall(Buffer& out, const UnaryCall& call) {
  uint64_t id = 0;
  if (call.metadata != nullptr && !call.metadata->empty()) {
    Buffer md;
    wire::EncodeMetadata(md, *call.metadata);
    AppendFrame(out, call.stream_id, ++id, wire::ToRaw(wire::Kind::kInvokeMetadata), md.view());
  }
  AppendFrame(out, call.stream_id, ++id, wire::ToRaw(wire::Kind::kInvoke), AsBytes(call.rpc));
  AppendFrame(out, call.stream_id, ++id, wire::ToRaw(wire::Kind::kMessage), AsBytes(call.request));
  AppendFrame(out, call.stream_id, ++id, wire::ToRaw(wire::Kind::kCloseSend), Bytes());
  return id;
}

void AppendTruncated(Buffer& out, const UnaryCall& call, size_t keep) {
  Buffer whole;
  AppendUnaryCall(whole, call);
  DRPC_ASSERT(keep < whole.size(), "a truncation must drop something");
  out.Append(Bytes(whole.data(), keep));
}

void AppendOverlongVarint(Buffer& out) {
  const uint8_t header = static_cast<uint8_t>(wire::ToRaw(wire::Kind::kInvoke) << wire::kKindShift);
  out.Append(Bytes(&header, 1));
  const uint8_t more = 0xff;
  for (size_t i = 0; i < wire::kMaxVarintSize; ++i) out.Append(Bytes(&more, 1));
}

void AppendHugeLength(Buffer& out, uint64_t stream_id, uint64_t declared, size_t sent) {
  const uint8_t header = static_cast<uint8_t>(
      (wire::ToRaw(wire::Kind::kMessage) << wire::kKindShift) | wire::kDoneBit);
  out.Append(Bytes(&header, 1));
  wire::AppendVarint(out, stream_id);
  wire::AppendVarint(out, 1);
  wire::AppendVarint(out, declared);
  const uint8_t filler = 'x';
  for (size_t i = 0; i < sent; ++i) out.Append(Bytes(&filler, 1));
}

void AppendUnfinished(Buffer& out, uint64_t stream_id, uint64_t message_id, wire::Kind kind,
                      Bytes data) {
  AppendFrame(out, stream_id, message_id, wire::ToRaw(kind), data, /*done=*/false);
}

void AppendKindChange(Buffer& out, uint64_t stream_id, std::string_view rpc) {
  AppendFrame(out, stream_id, 1, wire::ToRaw(wire::Kind::kInvoke), AsBytes(rpc), /*done=*/false);
  AppendFrame(out, stream_id, 1, wire::ToRaw(wire::Kind::kMessage), AsBytes("x"));
}

namespace {

// One entry of exactly `bytes` encoded bytes, if there is one.
std::optional<wire::Metadata> OneEntryOfEncodedSize(size_t bytes) {
  // 0x0a len(entry) [0x0a len(key) key 0x12 len(value) value]. Varint
  // lengths make some totals unreachable with one key length; another key
  // length may fill the gap.
  for (size_t key = 0; key <= 4; ++key) {
    for (size_t value = bytes; value-- > 0;) {
      const size_t entry = 1 + wire::VarintSize(key) + key + 1 + wire::VarintSize(value) + value;
      const size_t total = 1 + wire::VarintSize(entry) + entry;
      if (total == bytes) return wire::Metadata{{std::string(key, 'k'), std::string(value, 'v')}};
      if (total < bytes) break;
    }
  }
  return std::nullopt;
}

}  // namespace

wire::Metadata MetadataOfEncodedSize(size_t bytes) {
  DRPC_ASSERT(bytes >= 6, "the smallest metadata (one empty entry) takes 6 bytes");
  if (std::optional<wire::Metadata> one = OneEntryOfEncodedSize(bytes)) return *one;
  // Where a varint length steps (an entry of 127 bytes takes 129 in all, of
  // 128 takes 131), no single entry fits: a small second entry ("a" = "",
  // 7 bytes, sorted first) moves the rest off the step.
  constexpr size_t kSmallEntry = 7;
  if (bytes > kSmallEntry + 6) {
    if (std::optional<wire::Metadata> rest = OneEntryOfEncodedSize(bytes - kSmallEntry)) {
      rest->emplace("a", "");
      return *rest;
    }
  }
  DRPC_ASSERT(false, "no metadata of " + std::to_string(bytes) + " encoded bytes");
  return {};
}

}  // namespace drpc::sim::peers
