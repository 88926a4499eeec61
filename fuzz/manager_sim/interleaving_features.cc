#include "fuzz/manager_sim/interleaving_features.h"

#include <cstring>

namespace drpc::fuzz {
namespace {

constexpr size_t kCounters = size_t{1} << 14;

// libFuzzer reads (and clears before each input) every byte of this section
// as extra coverage counters. Outside a libFuzzer binary it is a plain array.
__attribute__((section("__libfuzzer_extra_counters"), used)) uint8_t g_counters[kCounters];

uint64_t Mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185ull;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44dull;
  return x ^ (x >> 33);
}

uint64_t HashName(const char* name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *name != '\0'; ++name) h = (h ^ static_cast<unsigned char>(*name)) * 0x100000001b3ull;
  return h;
}

}  // namespace

std::span<uint8_t> InterleavingFeatures::Counters() { return {g_counters, kCounters}; }

void InterleavingFeatures::Reset() {
  std::memset(g_counters, 0, sizeof(g_counters));
  name_hashes_.clear();
  last_fiber_ = sim::kNoFiber;
  last_site_ = 0;
  pairs_ = 0;
}

void InterleavingFeatures::OnNewObject(uint32_t object, const char* name) {
  // Ids are handed out 1, 2, ... in every run, so a fresh run overwrites.
  if (name_hashes_.size() < object) name_hashes_.resize(object);
  name_hashes_[object - 1] = HashName(name);
}

void InterleavingFeatures::OnOp(sim::FiberId fiber, uint64_t op_hash, uint32_t object) {
  const uint64_t name = object != 0 && object <= name_hashes_.size() ? name_hashes_[object - 1] : 0;
  const uint64_t site = Mix(op_hash ^ Mix(name));
  if (last_fiber_ != sim::kNoFiber && fiber != last_fiber_) {
    // Presence only: libFuzzer buckets counts (1, 2, 3, 4-7, ...), and
    // counting made every change in how often a pair occurs a new input,
    // which grew the corpus 2.5x and cost more per execution than it found.
    uint8_t& counter = g_counters[Mix(last_site_ * 31 + site) % kCounters];
    pairs_ += counter == 0;
    counter = 1;
  }
  last_fiber_ = fiber;
  last_site_ = site;
}

}  // namespace drpc::fuzz
