// Decisions read from an input: libFuzzer's byte string, or an integer vector
// generated (and shrunk) by RapidCheck.
//
// Each choice maps to "value mod n", so 0 stays 0 and smaller inputs mean
// smaller choices. When the input runs out every further choice is 0, the
// non-preemptive default (decision.h), so a shorter input is a simpler,
// more cooperative schedule; that is what lets a fuzzer or a shrinker
// minimize a failing schedule by cutting its input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "sim/sched/decision.h"

namespace drpc::sim {

// Reads the fewest little-endian bytes that can express n - 1 (one byte for
// n <= 256, two for n <= 65536, ...). A choice that finds fewer bytes left
// than it needs takes them and answers 0. The bytes are not copied: they must
// outlive the source (libFuzzer's data outlives one test input).
class BytesDecisionSource final : public DecisionSource {
 public:
  explicit BytesDecisionSource(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint64_t Choose(const ChoiceRequest& request) override;

  size_t consumed() const { return next_; }
  bool exhausted() const { return next_ >= bytes_.size(); }
  // Choices answered with the default 0 because the input had run out.
  uint64_t defaulted() const { return defaulted_; }

 private:
  std::span<const uint8_t> bytes_;
  size_t next_ = 0;
  uint64_t defaulted_ = 0;
};

// One integer per choice, taken mod n.
class IntSource final : public DecisionSource {
 public:
  explicit IntSource(std::vector<uint64_t> values) : values_(std::move(values)) {}
  uint64_t Choose(const ChoiceRequest& request) override;

  size_t consumed() const { return next_; }
  bool exhausted() const { return next_ >= values_.size(); }
  uint64_t defaulted() const { return defaulted_; }

 private:
  std::vector<uint64_t> values_;
  size_t next_ = 0;
  uint64_t defaulted_ = 0;
};

}  // namespace drpc::sim
