#include "sim/sched/fault_config.h"

#include <algorithm>
#include <array>

#include "drpc/base/check.h"
#include "drpc/base/fault_site.h"
#include "sim/sched/run.h"

namespace drpc::sim {
namespace {

// Faults of the simulated world (sim/net/world.h), by name, in the order a
// swarm draws them: the World's drawn faults (FaultOptions) of the same
// name also fire when the run's configuration enables them.
constexpr std::array<std::string_view, 7> kWorldFaultKinds{
    "net.reset",   "net.half-open",   "net.partition",    "net.crash",
    "net.refused", "net.slow-reader", "net.accept-error",
};

constexpr uint32_t kMaxOneIn = 1'000'000;

thread_local const FaultConfig* t_current = nullptr;

size_t KindIndex(std::string_view name) {
  const std::vector<std::string_view> kinds = FaultKinds();
  return static_cast<size_t>(std::find(kinds.begin(), kinds.end(), name) - kinds.begin());
}

bool ParseOneIn(std::string_view text, uint32_t& out) {
  if (text.empty() || text.size() > 7) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value < 1 || value > kMaxOneIn) return false;
  out = value;
  return true;
}

}  // namespace

std::vector<std::string_view> FaultKinds() {
  std::vector<std::string_view> kinds;
  for (int i = 0; i < fault::kSiteCount; ++i) kinds.push_back(fault::Name(fault::Site(i)));
  for (std::string_view kind : kWorldFaultKinds) kinds.push_back(kind);
  return kinds;
}

void FaultConfig::Set(std::string_view name, uint32_t one_in) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const Entry& e) { return e.name == name; });
  if (one_in == 0) {
    if (it != entries_.end()) entries_.erase(it);
    return;
  }
  if (it != entries_.end()) {
    it->one_in = one_in;
    return;
  }
  DRPC_ASSERT(KindIndex(name) < FaultKinds().size(), "unknown fault kind " + std::string(name));
  entries_.push_back(Entry{std::string(name), one_in});
  // Kind order, so equal configurations print and compare equal.
  std::sort(entries_.begin(), entries_.end(),
            [](const Entry& a, const Entry& b) { return KindIndex(a.name) < KindIndex(b.name); });
}

uint32_t FaultConfig::OneIn(std::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.name == name) return e.one_in;
  }
  return 0;
}

uint64_t FaultConfig::LibraryBits() const {
  uint64_t bits = 0;
  for (const Entry& e : entries_) {
    if (std::optional<fault::Site> site = fault::FromName(e.name)) bits |= fault::Bit(*site);
  }
  return bits;
}

std::string FaultConfig::ToString() const {
  std::string out;
  for (const Entry& e : entries_) {
    if (!out.empty()) out += ',';
    out += e.name + ":" + std::to_string(e.one_in);
  }
  return out;
}

std::optional<FaultConfig> FaultConfig::Parse(std::string_view text, std::string& error) {
  FaultConfig config;
  if (text.empty() || text == "none") return config;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const size_t colon = item.find(':');
    const std::string_view name = item.substr(0, colon);
    uint32_t one_in = kDefaultFaultOneIn;
    if (colon != std::string_view::npos && !ParseOneIn(item.substr(colon + 1), one_in)) {
      error = "fault '" + std::string(name) +
              "' needs a rate 1..1000000 (one in N) after ':', got '" +
              std::string(item.substr(colon + 1)) + "'";
      return std::nullopt;
    }
    if (name == "all") {
      for (std::string_view kind : FaultKinds()) config.Set(kind, one_in);
    } else if (KindIndex(name) < FaultKinds().size()) {
      config.Set(name, one_in);
    } else {
      std::string known;
      for (std::string_view kind : FaultKinds())
        known += (known.empty() ? "" : ", ") + std::string(kind);
      error = "unknown fault '" + std::string(name) + "'; the faults are all, " + known;
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return config;
}

FaultConfig DrawSwarm(const FaultConfig& pool) {
  FaultConfig drawn;
  std::vector<std::string_view> kinds;
  if (pool.empty()) {
    kinds = FaultKinds();
  } else {
    for (const FaultConfig::Entry& e : pool.entries()) kinds.push_back(e.name);
  }
  for (std::string_view kind : kinds) {
    if (Choose(2, ChoiceKind::kFault) == 0) continue;
    drawn.Set(kind, kSwarmOneIn[Choose(std::size(kSwarmOneIn), ChoiceKind::kFault)]);
  }
  return drawn;
}

bool FaultFires(std::string_view name) {
  const uint32_t one_in = t_current == nullptr ? 0 : t_current->OneIn(name);
  if (one_in == 0) return false;
  if (one_in == 1) return true;
  return Choose(one_in, ChoiceKind::kFault) == 1;
}

const FaultConfig& CurrentFaults() {
  static const FaultConfig kNone;
  return t_current == nullptr ? kNone : *t_current;
}

void SetCurrentFaults(const FaultConfig* faults) {
  t_current = faults;
  fault::SetEnabled(faults == nullptr ? 0 : faults->LibraryBits());
}

}  // namespace drpc::sim
