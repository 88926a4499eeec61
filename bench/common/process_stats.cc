#include "bench/common/process_stats.h"

#include <dirent.h>

#include <cstdio>
#include <cstring>

namespace drpc::bench {

int CountThreads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return 0;
  int n = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') ++n;
  }
  closedir(dir);
  return n;
}

int64_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  long long kib = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "VmRSS:", 6) == 0) {
      std::sscanf(line + 6, "%lld", &kib);
      break;
    }
  }
  std::fclose(f);
  return static_cast<int64_t>(kib) * 1024;
}

}  // namespace drpc::bench
