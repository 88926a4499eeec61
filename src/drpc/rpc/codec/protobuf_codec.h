// rpc::ProtobufCodec: protobuf binary encoding for any generated message
// type (full or lite). DefaultCodec picks it for protobuf messages.
//
//   Buffer out;
//   Status st = rpc::ProtobufCodec{}.Marshal(request, out);
//
// Marshal serializes straight into the stream's reused buffer; Unmarshal
// parses straight from the pooled receive buffer. See docs/rpc.md, "Codecs".
#pragma once

#include <google/protobuf/message_lite.h>

#include <climits>
#include <concepts>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/check.h"
#include "drpc/base/status.h"
#include "drpc/stream/codec.h"

namespace drpc::rpc {

template <class Msg>
concept ProtobufMessage = std::derived_from<Msg, google::protobuf::MessageLite>;

struct ProtobufCodec {
  template <ProtobufMessage Msg>
  Status Marshal(const Msg& msg, Buffer& out) const {
    const size_t size = msg.ByteSizeLong();
    // protobuf's own limit: sizes are ints inside the library.
    if (size > static_cast<size_t>(INT_MAX)) {
      return InvalidArgumentError("protobuf: " + msg.GetTypeName() + " is " + std::to_string(size) +
                                  " bytes, over the 2 GiB limit");
    }
    uint8_t* const start = out.Extend(size);
    uint8_t* const end = msg.SerializeWithCachedSizesToArray(start);
    DRPC_ASSERT(static_cast<size_t>(end - start) == size,
                "protobuf serialized a different size than ByteSizeLong said (message changed "
                "while being sent?)");
    return OkStatus();
  }

  template <ProtobufMessage Msg>
  Status Unmarshal(Bytes data, Msg& msg) const {
    if (data.size() > static_cast<size_t>(INT_MAX) ||
        !msg.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
      // gRPC reports an unparsable message as Internal.
      return InternalError("protobuf: cannot parse " + std::to_string(data.size()) + " bytes as " +
                           msg.GetTypeName());
    }
    return OkStatus();
  }
};

}  // namespace drpc::rpc
