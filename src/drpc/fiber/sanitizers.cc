#include "drpc/fiber/sanitizers.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace drpc::fiber::sanitizer {

namespace {

// The mapping of /proc/self/maps that contains `address`: [begin, end).
bool FindMapping(uintptr_t address, uintptr_t& begin, uintptr_t& end) {
  std::FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return false;
  char line[512];
  bool found = false;
  // One line per mapping; a process has far fewer than a million.
  for (int i = 0; i < 1'000'000 && std::fgets(line, sizeof line, maps) != nullptr; ++i) {
    if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &begin, &end) != 2) continue;
    if (address >= begin && address < end) {
      found = true;
      break;
    }
  }
  std::fclose(maps);
  return found;
}

// The size of ASan's fake stack at `fake_stack`, from its own header, or 0
// if that header does not look as expected. A fake stack is one mmap of
// RequiredSize(log) bytes: a 4 KiB header whose 12th word is log (after 11
// per-size-class hints), then one flag byte per 64-byte unit of 2^log bytes,
// then 11 size classes of 2^log bytes of frames (compiler-rt
// asan_fake_stack.h; the same in clang 14's runtime and gcc 12's libasan).
// ASan exports no call for this, and the mapping's extent in
// /proc/self/maps is no substitute: the kernel merges adjacent anonymous
// mappings, so the extent ran on over later fake stacks, heaps and at last
// [vvar], whose pages fault with SIGBUS when LSan scanned the root.
DRPC_FIBER_NO_ASAN size_t FakeStackBytes(const void* fake_stack) {
  constexpr size_t kHeaderBytes = 4096;
  constexpr size_t kSizeClasses = 11;
  constexpr size_t kMinFrameLog = 6;
  const uintptr_t log = static_cast<const uintptr_t*>(fake_stack)[kSizeClasses];
  if (log < 16 || log > 28) return 0;  // ASan's bounds on a fake stack's log
  return kHeaderBytes + (size_t{1} << (log + 1 - kMinFrameLog)) + kSizeClasses * (size_t{1} << log);
}

}  // namespace

void RegisterFakeStackRoot(void* fake_stack) {
  if constexpr (!kAsan) {
    (void)fake_stack;
    return;
  }
  if (fake_stack == nullptr) return;
  const size_t bytes = FakeStackBytes(fake_stack);
  // Checked once per size and thread against the mapping that holds it (the
  // mapping may be larger, merged with neighbours, never smaller): reading
  // the maps for every root made failing sweeps quadratic.
  thread_local size_t checked[4] = {};
  bool known = false;
  for (size_t k : checked) known = known || (bytes != 0 && k == bytes);
  if (!known) {
    const uintptr_t address = reinterpret_cast<uintptr_t>(fake_stack);
    uintptr_t begin = 0, end = 0;
    if (bytes == 0 || !FindMapping(address, begin, end) || end - address < bytes) {
      static bool warned = false;
      if (!warned) {
        warned = true;
        std::fprintf(stderr,
                     "drpc sim: an ASan fake stack at %p does not look as expected; killed or "
                     "abandoned fibers' fake frames are not LSan roots (leak reports may follow)\n",
                     fake_stack);
      }
      return;
    }
    for (size_t& k : checked) {
      if (k == 0) {
        k = bytes;
        break;
      }
    }
  }
  RegisterRootRegion(fake_stack, bytes);
}

}  // namespace drpc::fiber::sanitizer
