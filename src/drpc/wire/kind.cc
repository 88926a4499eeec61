#include "drpc/wire/kind.h"

#include <string>

namespace drpc::wire {

std::string_view KindName(uint8_t kind) {
  switch (kind) {
    case ToRaw(Kind::kInvoke):
      return "Invoke";
    case ToRaw(Kind::kMessage):
      return "Message";
    case ToRaw(Kind::kError):
      return "Error";
    case ToRaw(Kind::kCancel):
      return "Cancel";
    case ToRaw(Kind::kClose):
      return "Close";
    case ToRaw(Kind::kCloseSend):
      return "CloseSend";
    case ToRaw(Kind::kInvokeMetadata):
      return "InvokeMetadata";
    case ToRaw(Kind::kWindowUpdate):
      return "WindowUpdate";
    default:
      return "Unknown";
  }
}

Status UnknownKindError(uint8_t kind) {
  return InternalError("unknown packet kind " + std::to_string(kind));
}

}  // namespace drpc::wire
