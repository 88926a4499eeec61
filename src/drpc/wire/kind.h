// Packet kinds (drpc-protocol.md §1.4) and what a receiving stream does with
// a kind it does not know (§1.5).
//
//   switch (ClassifyKind(packet.kind, packet.control)) { ... }  // handle, ignore or reject
//
// Frames carry the kind as a raw 6-bit number so that unknown kinds survive
// parsing; only the stream layer decides what they mean. See docs/wire.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "drpc/base/status.h"

namespace drpc::wire {

enum class Kind : uint8_t {
  kInvoke = 1,          // data: the RPC name, e.g. "/pkg.Service/Method"
  kMessage = 2,         // data: one encoded message
  kError = 3,           // data: 8-byte big-endian code + text (error_payload.h)
  kCancel = 4,          // empty; always sent with the control bit
  kClose = 5,           // empty; the stream is dead
  kCloseSend = 6,       // empty; no more Messages from the sender
  kInvokeMetadata = 7,  // data: the metadata map (metadata.h)
  kWindowUpdate = 8,    // reserved for the later flow-control era; not handled yet
};

// The largest kind the 6-bit header field can hold.
inline constexpr uint8_t kMaxKind = 63;

constexpr uint8_t ToRaw(Kind kind) { return static_cast<uint8_t>(kind); }

// True for the kinds the seed era handles: 1 (Invoke) .. 7 (InvokeMetadata).
// WindowUpdate (8) is named but not handled yet, so it counts as unknown: a
// seed-era peer ignores it because it is always sent with the control bit.
constexpr bool IsKnownKind(uint8_t kind) {
  return kind >= ToRaw(Kind::kInvoke) && kind <= ToRaw(Kind::kInvokeMetadata);
}

// "Invoke", "Message", ..., "WindowUpdate"; "Unknown" for anything else.
std::string_view KindName(uint8_t kind);

// What a receiving stream does with a completed packet of this kind (§1.5).
enum class KindDisposition : uint8_t {
  kHandle,  // a known kind: handle it, whether or not the control bit is set
  kIgnore,  // unknown with the control bit: drop it silently
  kReject,  // unknown without the control bit: fail with UnknownKindError()
};

constexpr KindDisposition ClassifyKind(uint8_t kind, bool control) {
  if (IsKnownKind(kind)) return KindDisposition::kHandle;
  return control ? KindDisposition::kIgnore : KindDisposition::kReject;
}

// The error for a kReject packet. Go makes this an internal error ("unknown
// packet kind") that fails the stream and then the connection (§1.5, §2.2).
Status UnknownKindError(uint8_t kind);

}  // namespace drpc::wire
