#include "sim/scenarios/ring/ring_program.h"

#include <sstream>

#include "drpc/base/check.h"
#include "sim/sched/run.h"

namespace drpc::sim::ring {
namespace {

// One schema serves both directions, so drawing and encoding cannot drift
// apart: each field asks Choice(n, its current value as an answer); a
// drawing Io ignores the answer and asks the run, an encoding Io records it.
// The schema then sets the field from what Choice returned.

struct DrawIo {
  uint64_t Choice(uint64_t n, uint64_t /*answer*/) { return sim::Choose(n, ChoiceKind::kWorkload); }
};

struct EncodeIo {
  ChoiceLog log;
  uint64_t Choice(uint64_t n, uint64_t answer) {
    DRPC_ASSERT(answer < n, "a ring program field is out of its range");
    if (n >= 2) log.push_back(ChoiceRecord{ChoiceKind::kWorkload, n, answer});
    return answer;
  }
};

// Message sizes come in classes so that small messages are the common case
// (and what shrinking tends to): answers 0-7 tiny, 8-13 small, 14 medium, 15
// up to 256 KiB.
constexpr uint64_t kSizeClasses = 16;
uint64_t ClassOf(uint32_t size) {
  if (size <= 8) return 0;
  if (size <= 512) return 8;
  if (size <= 8192) return 14;
  return 15;
}
uint64_t ClassLimit(uint64_t size_class) {
  if (size_class < 8) return 8;
  if (size_class < 14) return 512;
  if (size_class == 14) return 8192;
  return 256 * 1024;
}

template <class Io>
void Visit(Io& io, RingProgram& p) {
  const uint64_t capacity = io.Choice(9, p.capacity == 256 ? 8 : p.capacity - 1);
  p.capacity = capacity == 8 ? 256 : static_cast<uint32_t>(capacity + 1);

  // Budget: 0 and 1 none (the common case), 2 small, 3 large.
  const uint64_t budget =
      io.Choice(4, p.max_bytes == 0 ? 0 : (p.max_bytes <= kSmallBudgetMax ? 2 : 3));
  if (budget < 2) {
    p.max_bytes = 0;
  } else {
    const uint64_t limit = budget == 2 ? kSmallBudgetMax : kLargeBudgetMax;
    p.max_bytes = static_cast<uint32_t>(1 + io.Choice(limit, p.max_bytes - 1));
  }

  p.sizes.resize(io.Choice(kMaxMessages + 1, p.sizes.size()));
  for (uint32_t& size : p.sizes) {
    const uint64_t size_class = io.Choice(kSizeClasses, ClassOf(size));
    size = static_cast<uint32_t>(io.Choice(ClassLimit(size_class) + 1, size));
  }

  p.consumer.resize(io.Choice(kMaxMessages + 3, p.consumer.size()));
  for (ConsumerStep& step : p.consumer) {
    step.chunks = static_cast<uint8_t>(1 + io.Choice(kMaxChunks, step.chunks - 1u));
    step.hold_across_close = io.Choice(4, step.hold_across_close ? 3 : 0) == 3;
    step.done_by_destructor = io.Choice(2, step.done_by_destructor ? 1 : 0) == 1;
  }
  p.consumer_drains = io.Choice(2, p.consumer_drains ? 1 : 0) == 1;
  p.teardown_delay = static_cast<uint32_t>(io.Choice(kMaxTeardownDelay + 1, p.teardown_delay));

  p.closer = io.Choice(2, p.closer ? 1 : 0) == 1;
  if (p.closer) {
    p.closer_delay = static_cast<uint32_t>(io.Choice(kMaxCloserDelay + 1, p.closer_delay));
    p.close_error = static_cast<uint32_t>(io.Choice(kCloseErrors, p.close_error));
    p.closer_closes_twice = io.Choice(2, p.closer_closes_twice ? 1 : 0) == 1;
  } else {
    p.closer_delay = 0;
    p.close_error = 0;
    p.closer_closes_twice = false;
  }
}

}  // namespace

RingProgram DrawProgram() {
  DrawIo io;
  RingProgram program;
  Visit(io, program);
  return program;
}

ChoiceLog EncodeProgram(const RingProgram& program) {
  EncodeIo io;
  RingProgram copy = program;
  Visit(io, copy);
  DRPC_ASSERT(copy == program,
              "a ring program that DrawProgram cannot produce:\n" + Describe(program));
  return std::move(io.log);
}

std::string Describe(const RingProgram& p) {
  std::ostringstream out;
  out << "capacity " << p.capacity << ", budget ";
  if (p.max_bytes == 0) {
    out << "none";
  } else {
    out << p.max_bytes << " B";
  }
  out << "\nproducer: " << p.sizes.size() << " messages, sizes [";
  for (size_t i = 0; i < p.sizes.size(); ++i) out << (i ? " " : "") << p.sizes[i];
  out << "], then Close(EOF)\nconsumer: ";
  for (size_t i = 0; i < p.consumer.size(); ++i) {
    const ConsumerStep& s = p.consumer[i];
    out << (i ? ", " : "") << "take/" << int{s.chunks} << (s.hold_across_close ? "/hold" : "")
        << (s.done_by_destructor ? "/dtor" : "");
  }
  out << (p.consumer.empty() ? "" : ", then ") << (p.consumer_drains ? "drain" : "stop") << "\n";
  out << "teardown: " << p.teardown_delay << " yields after the consumer, then Close\n";
  if (p.closer) {
    out << "closer: " << p.closer_delay << " yields, Close(error " << p.close_error << ")"
        << (p.closer_closes_twice ? ", Close again" : "");
  } else {
    out << "closer: none";
  }
  return out.str();
}

}  // namespace drpc::sim::ring
