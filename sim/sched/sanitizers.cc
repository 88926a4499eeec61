#include "sim/sched/sanitizers.h"

#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace drpc::sim::sanitizer {

void RegisterFakeStackRoot(void* fake_stack) {
  if constexpr (!kAsan) {
    (void)fake_stack;
    return;
  }
  if (fake_stack == nullptr) return;
  const uintptr_t address = reinterpret_cast<uintptr_t>(fake_stack);
  std::FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return;  // then LSan may report what the fiber held
  char line[512];
  // One line per mapping; a process has far fewer than a million.
  for (int i = 0; i < 1'000'000 && std::fgets(line, sizeof line, maps) != nullptr; ++i) {
    uintptr_t begin = 0, end = 0;
    if (std::sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &begin, &end) != 2) continue;
    if (address >= begin && address < end) {
      RegisterRootRegion(fake_stack, end - address);
      break;
    }
  }
  std::fclose(maps);
}

}  // namespace drpc::sim::sanitizer
