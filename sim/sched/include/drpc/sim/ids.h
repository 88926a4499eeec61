// Small identifiers shared by the scheduler, the decision sources and the rt
// simulator backend. Kept apart, on an include root of their own, so that
// drpc/rt/internal/sim_state.h (included by every library header in
// simulator builds) stays light and sees nothing else of sim/ (docs/rt.md).
#pragma once

#include <cstdint>
#include <string_view>

namespace drpc::sim {

// Fibers are numbered 1, 2, 3... in spawn order within a run; "main" is 1.
// 0 means "no fiber" (rt::current_task() reports 0 outside the simulator).
using FiberId = uint32_t;
inline constexpr FiberId kNoFiber = 0;

// Virtual time in nanoseconds since the start of the run.
using Nanos = int64_t;
inline constexpr Nanos kNever = INT64_MAX;

// A name known at compile time together with its hash, so that the trace
// hash can cover what happened ("lock", "mutex") without hashing strings at
// run time and without ever hashing an address. Use a string literal.
class StaticName {
 public:
  consteval StaticName(const char* text) : text_(text), hash_(Fnv1a(text)) {}  // NOLINT: implicit

  const char* text() const { return text_; }
  uint64_t hash() const { return hash_; }

 private:
  static consteval uint64_t Fnv1a(const char* s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s != '\0'; ++s) h = (h ^ static_cast<unsigned char>(*s)) * 0x100000001b3ull;
    return h;
  }
  const char* text_;
  uint64_t hash_;
};

}  // namespace drpc::sim
