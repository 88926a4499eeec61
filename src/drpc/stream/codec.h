// Codecs: how Stream::MsgSend / MsgRecv turn a message into bytes and back
// (drpc-protocol.md §5.4). A codec is any type with
//
//   Status Marshal(const Msg& msg, Buffer& out) const;   // APPENDS to `out`
//   Status Unmarshal(Bytes data, Msg& msg) const;        // replaces msg's contents
//
// The stream hands Marshal an empty, reused buffer (its per-stream marshal
// buffer) and hands Unmarshal a view of a pooled receive buffer that goes
// back to the pool as soon as Unmarshal returns: Unmarshal must copy what it
// keeps and never hold a pointer into `data` (§3.5.5).
//
// BytesCodec (here) passes bytes through for std::string and Buffer
// messages; the protobuf codec comes with the RPC layer.
#pragma once

#include <concepts>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/status.h"

namespace drpc::stream {

template <class C, class Msg>
concept Codec = requires(const C& codec, const Msg& in, Msg& out, Buffer& buffer, Bytes data) {
  { codec.Marshal(in, buffer) } -> std::same_as<Status>;
  { codec.Unmarshal(data, out) } -> std::same_as<Status>;
};

// The identity codec: a message is its bytes.
struct BytesCodec {
  Status Marshal(const std::string& msg, Buffer& out) const {
    out.Append(AsBytes(msg));
    return OkStatus();
  }
  Status Marshal(const Buffer& msg, Buffer& out) const {
    out.Append(msg.view());
    return OkStatus();
  }
  // assign() reuses the string's capacity: no allocation once it is warm.
  Status Unmarshal(Bytes data, std::string& msg) const {
    msg.assign(AsStringView(data));
    return OkStatus();
  }
  Status Unmarshal(Bytes data, Buffer& msg) const {
    msg.clear();
    msg.Append(data);
    return OkStatus();
  }
};

static_assert(Codec<BytesCodec, std::string>);
static_assert(Codec<BytesCodec, Buffer>);

}  // namespace drpc::stream
