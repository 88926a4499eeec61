// Seeded random decisions: the seed is the whole run.
//
// The generator is spelled out here (SplitMix64 to expand the seed,
// xoshiro256** to draw) and reduced to [0, n) with exact integer arithmetic,
// never with std::uniform_int_distribution, whose output differs between
// standard libraries. A seed therefore replays the same run with any
// compiler, on any machine.
#pragma once

#include <array>
#include <cstdint>

#include "sim/sched/decision.h"

namespace drpc::sim {

// Steele, Lea, Flood: "Fast splittable pseudorandom number generators".
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();

 private:
  uint64_t state_;
};

// Blackman, Vigna: xoshiro256** 1.0.
class Xoshiro256 {
 public:
  explicit Xoshiro256(uint64_t seed);                         // state from SplitMix64(seed)
  explicit Xoshiro256(const std::array<uint64_t, 4>& state);  // must not be all zero
  uint64_t Next();
  // Uniform in [0, n), n > 0, without modulo bias (Lemire's multiply-shift
  // with rejection; exact 128-bit arithmetic, so identical everywhere).
  uint64_t Below(uint64_t n);

 private:
  std::array<uint64_t, 4> s_;
};

class RandomSource final : public DecisionSource {
 public:
  explicit RandomSource(uint64_t seed) : seed_(seed), rng_(seed) {}
  uint64_t Choose(const ChoiceRequest& request) override { return rng_.Below(request.n); }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  Xoshiro256 rng_;
};

}  // namespace drpc::sim
