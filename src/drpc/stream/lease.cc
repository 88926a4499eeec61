#include "drpc/stream/lease.h"

#include "drpc/base/plant.h"

namespace drpc::stream {

void Lease::Return() {
  Block* block = std::exchange(block_, nullptr);
  std::shared_ptr<BufferPool> pool = std::move(pool_);
  // Upstream before 89d4b63: Close already took the buffer back, and Done
  // quietly skips it.
  if (DRPC_PLANT(kRingPreFix89d4b63) && block->generation != lending_.generation()) return;
  pool->Return(block, lending_.generation(), "done");
  if (DRPC_PLANT(kRingDoubleDone))
    pool->Return(block, lending_.generation(), "done (planted second)");
}

}  // namespace drpc::stream
