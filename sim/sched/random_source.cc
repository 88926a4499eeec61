#include "sim/sched/random_source.h"

#include "drpc/base/check.h"

namespace drpc::sim {
namespace {

// gcc and clang both have a 128-bit integer; __extension__ keeps -Wpedantic quiet.
__extension__ typedef unsigned __int128 Uint128;

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Xoshiro256::Xoshiro256(uint64_t seed) {
  SplitMix64 expand(seed);
  for (uint64_t& word : s_) word = expand.Next();
  // SplitMix64 is a bijection of its counter, so four outputs are never all zero.
  DRPC_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0, "xoshiro state must not be all zero");
}

Xoshiro256::Xoshiro256(const std::array<uint64_t, 4>& state) : s_(state) {
  DRPC_ASSERT((s_[0] | s_[1] | s_[2] | s_[3]) != 0, "xoshiro state must not be all zero");
}

uint64_t Xoshiro256::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t Xoshiro256::Below(uint64_t n) {
  DRPC_ASSERT(n > 0, "Below(0) has no answer");
  // The high word of x * n is uniform in [0, n) once the low words that fall
  // in the short final interval (fewer than 2^64 mod n of them) are rejected.
  Uint128 m = static_cast<Uint128>(Next()) * n;
  uint64_t low = static_cast<uint64_t>(m);
  if (low < n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    // Each draw is rejected with probability < n / 2^64; 64 rejections in a
    // row would mean a broken generator, not bad luck.
    for (int attempt = 0; low < threshold; ++attempt) {
      DRPC_ASSERT(attempt < 64, "xoshiro256** rejected 64 draws in a row");
      m = static_cast<Uint128>(Next()) * n;
      low = static_cast<uint64_t>(m);
    }
  }
  return static_cast<uint64_t>(m >> 64);
}

}  // namespace drpc::sim
