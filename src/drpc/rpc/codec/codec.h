// Codecs of the RPC layer (§5.4). A codec is any type with
//
//   Status Marshal(const Msg& msg, Buffer& out) const;   // APPENDS to `out`
//   Status Unmarshal(Bytes data, Msg& msg) const;
//
// (stream::Codec, stream/codec.h). Codecs are template parameters of the
// calls and handlers, never virtual. Built in:
//   ProtobufCodec  protobuf binary, for generated messages (protobuf_codec.h)
//   BytesCodec     a message is its bytes (std::string or Buffer), for tests
//                  and applications with their own encoding
// DefaultCodec<Msg> picks one of them from the message type, so calls and
// registrations need not name a codec:
//   conn.Invoke("/echo.Echo/Say", request, reply);   // protobuf messages
//   conn.Invoke("/raw.Blob/Put", std::string(...), reply_string);
#pragma once

#include <string>

#include "drpc/base/buffer.h"
#include "drpc/rpc/codec/protobuf_codec.h"
#include "drpc/stream/codec.h"

namespace drpc::rpc {

using stream::BytesCodec;
using stream::Codec;

// The codec for a message type; undefined (so a call must name a codec)
// for types with no built-in one.
template <class Msg>
struct DefaultCodecFor {};
template <ProtobufMessage Msg>
struct DefaultCodecFor<Msg> {
  using type = ProtobufCodec;
};
template <>
struct DefaultCodecFor<std::string> {
  using type = BytesCodec;
};
template <>
struct DefaultCodecFor<Buffer> {
  using type = BytesCodec;
};

template <class Msg>
using DefaultCodec = typename DefaultCodecFor<Msg>::type;

}  // namespace drpc::rpc
