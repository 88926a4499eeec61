// Codecs: how messages become bytes. A codec is any type with
//
//   Status Marshal(const Msg& msg, Buffer& out) const;   // APPENDS to `out`
//   Status Unmarshal(Bytes data, Msg& msg) const;
//
// (stream::Codec). Built in: ProtobufCodec (generated messages) and
// BytesCodec (std::string or Buffer). DefaultCodec<Msg> picks one from the
// message type, so most calls name none:
//
//   conn.Invoke("/echo.Echo/Say", request, reply);                  // protobuf
//   conn.Invoke("/raw.Blob/Put", std::string("..."), reply_string);  // bytes
//
// See docs/rpc.md, "Codecs".
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
