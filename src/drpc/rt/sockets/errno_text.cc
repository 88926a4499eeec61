#include "drpc/rt/internal/errno_text.h"

#include <string.h>

#include <string>

namespace drpc::rt::os::internal {
namespace {

// strerror_r comes in two flavours; overloads pick whichever libc declares.
[[maybe_unused]] const char* Pick(int ret, const char* buffer) {
  return ret == 0 ? buffer : "unknown error";
}
[[maybe_unused]] const char* Pick(const char* ret, const char* /*buffer*/) { return ret; }

}  // namespace

std::string ErrnoText(int err) {
  char buffer[256];
  buffer[0] = '\0';
  return Pick(strerror_r(err, buffer, sizeof(buffer)), buffer);
}

}  // namespace drpc::rt::os::internal
