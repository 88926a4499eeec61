// Fault sites: named one-line places in the library where, in a simulated
// run whose configuration enables the site, the run's decisions may make the
// environment misbehave as a real one can (a short write, a spurious wake-up,
// a failed accept or task start). FoundationDB's BUGGIFY, in miniature.
//
//   if (DRPC_FAULT(kShortWrite)) data = data.first(rt::FaultPick(data.size()));
//
// Unlike a plant (drpc/base/plant.h), a fault site does not plant a bug: it
// injects behaviour the library must already survive, so a run with every
// site on must still pass. The macro is in drpc/rt/fault.h (it needs the rt
// backend): the constant `false` on the OS backend; in the simulator a
// relaxed load of the enabled set below, then a kFault decision at the run's
// rate for the site. This header is the registry: the sites and their names.
// docs/faults.md lists them with what each should catch.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

namespace drpc::fault {

// Every site, by layer. Names (Name below) are "<layer>.<fault>".
enum class Site : uint8_t {
  kSpuriousWakeup,  // rt.spurious-wakeup: a condvar wait returns without a notify
  kSpawnFailure,    // rt.spawn-failure: rt::TrySpawn fails as when out of threads
  kShortWrite,      // manager.short-write: the writer's transport takes a prefix only
  kAcceptError,     // rpc.accept-error: Accept fails transiently (EMFILE)
  kCount,
};
inline constexpr int kSiteCount = static_cast<int>(Site::kCount);
static_assert(kSiteCount <= 64, "the enabled set is one 64-bit word");

std::string_view Name(Site site);                     // "rt.spurious-wakeup"
std::optional<Site> FromName(std::string_view name);  // nullopt if unknown

namespace internal {
extern std::atomic<uint64_t> enabled_bits;  // fault_site.cc
}  // namespace internal

// Whether `site` may fire at all in this run: a relaxed load, no rt
// operation (a site that is off is not a scheduling point and adds no
// decision, so enabling nothing leaves every trace unchanged).
inline bool Enabled(Site site) {
  return (internal::enabled_bits.load(std::memory_order_relaxed) >> static_cast<int>(site)) & 1;
}
inline uint64_t Bit(Site site) { return uint64_t{1} << static_cast<int>(site); }
// Replaces the enabled set (bit i = site i); returns the previous one. The
// simulator calls it while no code under test runs, as it does for plants.
uint64_t SetEnabled(uint64_t bits);

}  // namespace drpc::fault
