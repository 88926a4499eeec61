// The check a fuzz target makes on what it computed: a failed one prints
// which target and what broke, then aborts, so libFuzzer keeps the input
// (and a corpus replay fails).
//
//   namespace { constexpr drpc::fuzz::Checker Check{"wire_frame"}; }
//   Check(again.ok(), "re-encoded frame does not parse");
#pragma once

#include <cstdio>
#include <cstdlib>

namespace drpc::fuzz {

class Checker {
 public:
  explicit constexpr Checker(const char* target) : target_(target) {}

  void operator()(bool condition, const char* what) const {
    if (condition) return;
    std::fprintf(stderr, "%s fuzz check failed: %s\n", target_, what);
    std::abort();
  }

 private:
  const char* target_;
};

}  // namespace drpc::fuzz
