#include "drpc/base/fault_site.h"

#include <array>

#include "drpc/base/check.h"

namespace drpc::fault {
namespace {

constexpr std::array<std::string_view, kSiteCount> kNames = {
    "rt.spurious-wakeup",
    "rt.spawn-failure",
    "manager.short-write",
    "rpc.accept-error",
};

}  // namespace

// Configuration written between runs, read by every site (see Enabled).
std::atomic<uint64_t> internal::enabled_bits{0};

std::string_view Name(Site site) {
  const int i = static_cast<int>(site);
  DRPC_ASSERT(i >= 0 && i < kSiteCount, "fault::Name of an unknown site");
  return kNames[i];
}

std::optional<Site> FromName(std::string_view name) {
  for (int i = 0; i < kSiteCount; ++i) {
    if (kNames[i] == name) return static_cast<Site>(i);
  }
  return std::nullopt;
}

uint64_t SetEnabled(uint64_t bits) {
  return internal::enabled_bits.exchange(bits, std::memory_order_relaxed);
}

}  // namespace drpc::fault
