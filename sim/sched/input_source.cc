#include "sim/sched/input_source.h"

#include "drpc/base/check.h"

namespace drpc::sim {
namespace {

// Bytes needed to write the largest option, n - 1.
size_t BytesFor(uint64_t n) {
  size_t bytes = 1;
  for (uint64_t rest = (n - 1) >> 8; rest != 0; rest >>= 8) ++bytes;
  return bytes;
}

}  // namespace

uint64_t BytesDecisionSource::Choose(const ChoiceRequest& request) {
  DRPC_ASSERT(request.n >= 2, "a decision needs at least two options");
  const size_t width = BytesFor(request.n);
  const size_t left = bytes_.size() - next_;
  if (left < width) {
    next_ = bytes_.size();
    ++defaulted_;
    return 0;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < width; ++i) value |= uint64_t{bytes_[next_ + i]} << (8 * i);
  next_ += width;
  return value % request.n;
}

uint64_t IntSource::Choose(const ChoiceRequest& request) {
  DRPC_ASSERT(request.n >= 2, "a decision needs at least two options");
  if (next_ >= values_.size()) {
    ++defaulted_;
    return 0;
  }
  return values_[next_++] % request.n;
}

}  // namespace drpc::sim
