#include "drpc/wire/error_payload.h"

namespace drpc::wire {

void EncodeErrorPayload(Buffer& out, uint64_t code, std::string_view text) {
  uint8_t* cursor = out.Extend(kErrorCodeSize);
  for (size_t i = 0; i < kErrorCodeSize; ++i) {
    cursor[i] = static_cast<uint8_t>(code >> (8 * (kErrorCodeSize - 1 - i)));
  }
  out.Append(AsBytes(text));
}

ErrorPayload DecodeErrorPayload(Bytes data) {
  ErrorPayload payload;
  if (data.size() < kErrorCodeSize) {
    payload.text = ToString(data);
    payload.text += kInvalidErrorDataNote;
    return payload;
  }
  for (size_t i = 0; i < kErrorCodeSize; ++i) payload.code = (payload.code << 8) | data[i];
  payload.text = ToString(data.subspan(kErrorCodeSize));
  return payload;
}

}  // namespace drpc::wire
