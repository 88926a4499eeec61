#include "drpc/base/plant.h"

#include <array>
#include <atomic>

namespace drpc::plant {
namespace {

constexpr std::array<std::string_view, kSiteCount> kNames = {
    "ring.double-done",
    "ring.close-releases-held",
    "ring.leak-queued",
    "ring.enqueue-leaks-on-close",
    "ring.dequeue-skips-advance",
    "ring.dequeue-advances-twice",
    "ring.close-wakes-only-consumer",
    "ring.prefix-89d4b63",
    "stream.terminal-holds-mu",
    "stream.leak-marshal-accounting",
    "stream.fin-ignores-read",
    "stream.cancel-locks-before-wake",
    "stream.abort-waits-for-write",
    "manager.leak-dropped-streams",
    "manager.close-waits-for-term-only",
    "manager.register-after-close",
    "manager.drop-interleaved-frame",
    "manager.linger-unbounded",
    "assembly.leak-on-cancel",
    "assembly.keeps-replaced",
    "assembly.leak-over-limit",
    "assembly.put-on-teardown",
    "manager.finished-id-accepted",
    "manager.writer-bypasses-mark",
    "rpc.serve-after-stop-keeps-listener",
    "rpc.reset-reply-ok",
    "rt.signal-waits-once",
    "wire.overlong-varint-accepted",
    "wire.partial-kept-across-id",
    "wire.truncated-metadata-accepted",
    "stream.reuses-lent-buffer",
};

}  // namespace

#if DRPC_CHECKED
// Configuration written between runs, read by every site: see plant.h for
// why this is a plain atomic and not an rt primitive.
std::atomic<uint64_t> internal::active_bits{0};
#endif

std::string_view Name(Site site) {
  const int i = static_cast<int>(site);
  DRPC_ASSERT(i >= 0 && i < kSiteCount, "plant::Name of an unknown site");
  return kNames[i];
}

std::optional<Site> FromName(std::string_view name) {
  for (int i = 0; i < kSiteCount; ++i) {
    if (kNames[i] == name) return static_cast<Site>(i);
  }
  return std::nullopt;
}

std::string Set::ToString() const {
  std::string out;
  for (int i = 0; i < kSiteCount; ++i) {
    if (!contains(static_cast<Site>(i))) continue;
    if (!out.empty()) out += ',';
    out += kNames[i];
  }
  return out;
}

std::optional<Set> Set::Parse(std::string_view text, std::string& error) {
  Set set;
  if (text.empty() || text == "none") return set;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    const std::optional<Site> site = FromName(name);
    if (!site) {
      error = "unknown plant '" + std::string(name) + "'";
      return std::nullopt;
    }
    set.insert(*site);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return set;
}

#if DRPC_CHECKED
Set ActiveSet() {
  Set set;
  const uint64_t bits = internal::active_bits.load(std::memory_order_relaxed);
  for (int i = 0; i < kSiteCount; ++i) {
    if ((bits >> i) & 1) set.insert(static_cast<Site>(i));
  }
  return set;
}
Set SetActive(Set sites) {
  const Set previous = ActiveSet();
  internal::active_bits.store(sites.bits(), std::memory_order_relaxed);
  return previous;
}
#else
Set SetActive(Set sites) {
  DRPC_ASSERT(sites.empty(), "planted bugs exist only in checked builds (DRPC_CHECKED=1)");
  return {};
}
#endif

}  // namespace drpc::plant
