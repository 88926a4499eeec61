#include "drpc/wire/varint.h"

namespace drpc::wire {

void AppendVarint(Buffer& out, uint64_t value) {
  const size_t size = VarintSize(value);
  uint8_t* start = out.Extend(size);
  uint8_t* end = WriteVarint(start, value);
  DRPC_ASSERT(static_cast<size_t>(end - start) == size, "VarintSize disagrees with WriteVarint");
}

}  // namespace drpc::wire
