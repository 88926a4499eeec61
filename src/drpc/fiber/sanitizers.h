// The one place that knows which sanitizer instruments this build, and the
// fiber annotations every stack switch needs (toolchain.md §2.3).
//
// Boost.Context's fcontext backend does not tell ASan or TSan that the stack
// changed. Without these calls ASan reports false stack errors for exceptions
// thrown inside fibers, and TSan tracks every fiber as part of the thread that
// happened to switch to it. Both sanitizers are detected from the compiler
// (clang: __has_feature, gcc: __SANITIZE_*__), so no build flag is needed; in
// an uninstrumented build every helper here is an empty inline function.
#pragma once

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DRPC_FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define DRPC_FIBER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(DRPC_FIBER_ASAN)
#define DRPC_FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(DRPC_FIBER_TSAN)
#define DRPC_FIBER_TSAN 1
#endif
#ifndef DRPC_FIBER_ASAN
#define DRPC_FIBER_ASAN 0
#endif
#ifndef DRPC_FIBER_TSAN
#define DRPC_FIBER_TSAN 0
#endif

#if DRPC_FIBER_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#endif
#if DRPC_FIBER_TSAN
#include <sanitizer/tsan_interface.h>
#endif

// Leaves a function uninstrumented by ASan (no fake frame, no checks).
#if DRPC_FIBER_ASAN
#define DRPC_FIBER_NO_ASAN __attribute__((no_sanitize("address")))
#else
#define DRPC_FIBER_NO_ASAN
#endif

namespace drpc::fiber::sanitizer {

inline constexpr bool kAsan = DRPC_FIBER_ASAN != 0;
inline constexpr bool kTsan = DRPC_FIBER_TSAN != 0;

// ASan: called on the stack being left. `fake_stack_save` is null when the
// stack being left is finished for good (its fake frames are released).
inline void StartSwitch(void** fake_stack_save, const void* target_bottom, size_t target_size) {
#if DRPC_FIBER_ASAN
  __sanitizer_start_switch_fiber(fake_stack_save, target_bottom, target_size);
#else
  (void)fake_stack_save, (void)target_bottom, (void)target_size;
#endif
}

// ASan: called first thing on the stack just entered; reports the bounds of
// the stack we came from when asked.
inline void FinishSwitch(void* fake_stack_save, const void** from_bottom, size_t* from_size) {
#if DRPC_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fake_stack_save, from_bottom, from_size);
#else
  (void)fake_stack_save, (void)from_bottom, (void)from_size;
#endif
}

// ASan: clears stale poisoning (redzones of frames that never returned) from
// a stack about to be reused by a new fiber.
inline void UnpoisonStack(void* bottom, size_t size) {
#if DRPC_FIBER_ASAN
  __asan_unpoison_memory_region(bottom, size);
#else
  (void)bottom, (void)size;
#endif
}

// LSan: makes a quarantined stack a root, so objects referenced only by an
// abandoned fiber's frames are not reported as leaks.
inline void RegisterRootRegion(const void* begin, size_t size) {
#if DRPC_FIBER_ASAN
  __lsan_register_root_region(begin, size);
#else
  (void)begin, (void)size;
#endif
}

// LSan, with detect_stack_use_after_return: a fiber that never runs again
// may have frames in its ASan fake stack rather than on its own stack, so
// that fake stack (never freed: nothing switches away from it with a null
// save) is registered as a root region too, exactly its own extent, which
// its header gives (sanitizers.cc). No-op without ASan or for null.
void RegisterFakeStackRoot(void* fake_stack);

// TSan: every fiber gets its own TSan context; switching with flags 0 makes
// each switch a happens-before edge, so fibers of one thread never "race".
inline void* TsanCurrentFiber() {
#if DRPC_FIBER_TSAN
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}
inline void* TsanCreateFiber() {
#if DRPC_FIBER_TSAN
  return __tsan_create_fiber(0);
#else
  return nullptr;
#endif
}
inline void TsanDestroyFiber(void* fiber) {
#if DRPC_FIBER_TSAN
  if (fiber != nullptr) __tsan_destroy_fiber(fiber);
#else
  (void)fiber;
#endif
}
inline void TsanSwitchTo(void* fiber) {
#if DRPC_FIBER_TSAN
  __tsan_switch_to_fiber(fiber, 0);
#else
  (void)fiber;
#endif
}

}  // namespace drpc::fiber::sanitizer
