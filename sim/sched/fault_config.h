// A run's fault configuration: which named fault kinds are on and how often
// each fires (one time in N when asked). Part of sim::RunOptions, so a
// failure report, a choice log and a replay line carry it as they carry
// plants.
//
// Kinds are names. Today they are the library's fault sites
// (drpc/base/fault_site.h, "rt.spurious-wakeup", ...); faults of the
// simulated world (sim/net: "net.reset", "net.partition", ...) are added as
// further names in kWorldFaultKinds (fault_config.cc), and their code asks
//
//   if (sim::FaultFires("net.reset")) ...   // off, or a kFault decision at its rate
//
// so one configuration, one swarm draw and one CLI flag cover both.
//
// Swarm testing (Groce et al., ISSTA 2012): with RunOptions::swarm, a run
// first draws its configuration from its decision source (DrawSwarm below),
// so each seed tests a different subset of faults at different rates, and
// the draw is on the tape: a replayed log draws the same configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace drpc::sim {

// One in this many askings fires when a flag names a kind without a rate.
inline constexpr uint32_t kDefaultFaultOneIn = 8;
// The rates a swarm draws from, option 0 (the rarest) first.
inline constexpr uint32_t kSwarmOneIn[] = {64, 16, 4, 2};

// Every fault kind this build knows, library sites first, then the world's.
std::vector<std::string_view> FaultKinds();

class FaultConfig {
 public:
  struct Entry {
    std::string name;
    uint32_t one_in = 0;  // >= 1; 1 fires every time it is asked
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // Switches `name` on at one in `one_in` (0 switches it off).
  void Set(std::string_view name, uint32_t one_in);
  // 0 if `name` is off.
  uint32_t OneIn(std::string_view name) const;
  bool empty() const { return entries_.empty(); }
  // In FaultKinds() order.
  const std::vector<Entry>& entries() const { return entries_; }
  // The enabled set of the library's sites (fault::SetEnabled's bits).
  uint64_t LibraryBits() const;
  friend bool operator==(const FaultConfig&, const FaultConfig&) = default;

  // "rt.spurious-wakeup:4,manager.short-write:8"; "" if empty.
  std::string ToString() const;
  // The inverse of ToString, also accepting "none", "all" (every kind) and a
  // kind without ":N" (kDefaultFaultOneIn); "all:N" sets every kind to N.
  // nullopt and `error` for an unknown kind or a bad rate.
  static std::optional<FaultConfig> Parse(std::string_view text, std::string& error);

 private:
  std::vector<Entry> entries_;
};

// ---- Inside a run (from a fiber) --------------------------------------

// Draws a configuration from the run's decisions (kind kFault): each kind
// of `pool` (every kind if `pool` is empty) is on with one decision
// (option 1 = on, so shrinking toward 0 switches faults off) and, if on,
// takes a rate from kSwarmOneIn with another.
FaultConfig DrawSwarm(const FaultConfig& pool);

// Whether fault `name` fires now: false without asking if the running
// run's configuration has it off; true without asking at one in 1;
// otherwise one sim::Choose(one_in, kFault), firing on option 1.
bool FaultFires(std::string_view name);

// The configuration of the running run (after a swarm draw, the drawn
// one), for oracles: which outcomes the run's faults allow.
const FaultConfig& CurrentFaults();

// The configuration of the run on this thread (set by sim::Run; after a
// swarm draw, the drawn one). Internal to sim::Run: it switches the
// library's sites on and off with it.
void SetCurrentFaults(const FaultConfig* faults);

}  // namespace drpc::sim
