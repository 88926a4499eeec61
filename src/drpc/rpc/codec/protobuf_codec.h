// ProtobufCodec: protobuf binary encoding over libprotobuf (§5.4), for any
// generated message type (full or lite).
//
//   Marshal    sizes the message once (ByteSizeLong), grows the stream's
//              reused marshal buffer by that much and serializes straight
//              into it (SerializeWithCachedSizesToArray): no temporary, and
//              no allocation once the buffer is warm.
//   Unmarshal  parses straight from the pooled receive buffer's view
//              (ParseFromArray); the message copies what it keeps, nothing
//              points into the view afterwards.
// The functions are templates on the message type: generated classes are
// `final`, so the calls devirtualize.
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
