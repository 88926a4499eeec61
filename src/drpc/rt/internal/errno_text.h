// Thread-safe text for an errno value (strerror is not thread-safe).
#pragma once

#include <string>

namespace drpc::rt::os::internal {

std::string ErrnoText(int err);

}  // namespace drpc::rt::os::internal
