#include "drpc/base/copy_count.h"

#include <atomic>

namespace drpc {
namespace {

std::atomic<uint64_t> g_copied[2];

std::atomic<uint64_t>& Counter(CopyPath path) { return g_copied[static_cast<size_t>(path)]; }

}  // namespace

#if DRPC_CHECKED
void CountCopy(CopyPath path, size_t bytes) {
  Counter(path).fetch_add(bytes, std::memory_order_relaxed);
}
#endif

uint64_t CopiedBytes(CopyPath path) { return Counter(path).load(std::memory_order_relaxed); }

void ResetCopyCounts() {
  Counter(CopyPath::kReceive).store(0, std::memory_order_relaxed);
  Counter(CopyPath::kSend).store(0, std::memory_order_relaxed);
}

}  // namespace drpc
