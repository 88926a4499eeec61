#include "sim/sched/sanitizers.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace drpc::sim::sanitizer {

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

}  // namespace

void RegisterFakeStackRoot(void* fake_stack, size_t stack_bytes) {
  if constexpr (!kAsan) {
    (void)fake_stack, (void)stack_bytes;
    return;
  }
  if (fake_stack == nullptr) return;
  struct Known {
    size_t stack_bytes;
    size_t fake_stack_bytes;
  };
  thread_local Known known[4] = {};  // a few stack sizes per thread at most
  for (const Known& k : known) {
    if (k.stack_bytes == stack_bytes && k.fake_stack_bytes != 0) {
      RegisterRootRegion(fake_stack, k.fake_stack_bytes);
      return;
    }
  }
  const uintptr_t address = reinterpret_cast<uintptr_t>(fake_stack);
  uintptr_t begin = 0, end = 0;
  if (!FindMapping(address, begin, end)) return;  // then LSan may report what it held
  RegisterRootRegion(fake_stack, end - address);
  // Remember the size only from a mapping that starts at the fake stack (the
  // kernel may have merged it with a neighbour that comes before it).
  if (begin != address) return;
  for (Known& k : known) {
    if (k.fake_stack_bytes == 0) {
      k = Known{stack_bytes, end - begin};
      return;
    }
  }
}

}  // namespace drpc::sim::sanitizer
