// Poisoning of released buffer memory (checked builds; internal to the pool),
// so a read of a buffer after its release is caught even where the ledger
// cannot see it (a view kept past Done): under AddressSanitizer the bytes are poisoned and
// any access reports use-after-poison; without it they are overwritten with
// kReleasedFill, which a content check sees as garbage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DRPC_STREAM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(DRPC_STREAM_ASAN)
#define DRPC_STREAM_ASAN 1
#endif
#ifndef DRPC_STREAM_ASAN
#define DRPC_STREAM_ASAN 0
#endif

#if DRPC_STREAM_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace drpc::stream::internal {

inline constexpr bool kAsanPoisoning = DRPC_STREAM_ASAN != 0;
inline constexpr uint8_t kReleasedFill = 0xDB;

// `used` bytes were written since the buffer was lent; `capacity` are owned.
inline void PoisonReleased(uint8_t* data, size_t used, size_t capacity) {
  if (data == nullptr) return;
#if DRPC_STREAM_ASAN
  (void)used;
  ASAN_POISON_MEMORY_REGION(data, capacity);
#else
  (void)capacity;
  std::memset(data, kReleasedFill, used);
#endif
}

inline void UnpoisonLent(uint8_t* data, size_t capacity) {
  if (data == nullptr) return;
#if DRPC_STREAM_ASAN
  ASAN_UNPOISON_MEMORY_REGION(data, capacity);
#else
  (void)capacity;
#endif
}

}  // namespace drpc::stream::internal
