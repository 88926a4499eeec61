// Bytes the library copies on its receive and send paths, counted in checked
// builds so tests can hold it to "one copy per received message" (issue 15):
// a received message's payload bytes are counted once when they land in the
// buffer the caller reads from, and again for every later copy of them; the
// send path counts every copy of a payload before the transport takes it.
//
//   ResetCopyCounts();
//   ... receive one 64 KiB message ...
//   EXPECT_EQ(CopiedBytes(CopyPath::kReceive), 64 * 1024);
//
// Process-wide relaxed counters: tests read them while nothing else runs.
// Compiled out (no cost, always 0) when DRPC_CHECKED is 0.
#pragma once

#include <cstddef>
#include <cstdint>

#include "drpc/base/check.h"

namespace drpc {

enum class CopyPath : uint8_t { kReceive, kSend };

#if DRPC_CHECKED
void CountCopy(CopyPath path, size_t bytes);
#else
inline void CountCopy(CopyPath, size_t) {}
#endif
uint64_t CopiedBytes(CopyPath path);
void ResetCopyCounts();

}  // namespace drpc
