// ReadResult: what one read from a byte stream gives, for every layer that
// reads (wire's ByteSource, rt's Transport).
//
//   ReadResult r = transport.Read(buffer);
//   Consume(buffer.first(r.n));       // bytes first...
//   if (!r.err.ok()) return r.err;    // ...then the error that follows them
#pragma once

#include <cstddef>

#include "drpc/base/status.h"

namespace drpc {

struct ReadResult {
  size_t n = 0;  // bytes placed at the front of the buffer
  Status err;    // if not ok: the error that follows those n bytes (EOF is ErrorKind::kEof)
};

}  // namespace drpc
