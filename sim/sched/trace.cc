#include "sim/sched/trace.h"

#include <cinttypes>
#include <cstdio>

#include "drpc/base/check.h"

namespace drpc::sim {
void Trace::Reset(size_t tail_capacity, bool keep_all) {
  hash_ = 0;
  count_ = 0;
  // Old events in the ring are never read: Tail() stops at count_.
  if (ring_.size() != tail_capacity) ring_.assign(tail_capacity, TraceEvent{});
  ring_size_ = ring_.size();
  ring_next_ = 0;
  keep_all_ = keep_all;
  all_.clear();
}

void Trace::KeepEvent(const TraceEvent& event) { all_.push_back(event); }

std::vector<TraceEvent> Trace::Tail() const {
  std::vector<TraceEvent> tail;
  const size_t kept = count_ < ring_.size() ? static_cast<size_t>(count_) : ring_.size();
  tail.reserve(kept);
  size_t index = (ring_next_ + ring_.size() - kept) % (ring_.empty() ? 1 : ring_.size());
  for (size_t i = 0; i < kept; ++i) {
    tail.push_back(ring_[index]);
    index = index + 1 == ring_.size() ? 0 : index + 1;
  }
  return tail;
}

std::string TraceNames::Fiber(FiberId id) const {
  if (id == kNoFiber) return "-";
  // Appended piecewise: gcc 12 at -O3 warns (-Wrestrict) on "#" + to_string.
  std::string out = "#";
  out += std::to_string(id);
  if (id <= fibers.size()) out += " " + fibers[id - 1];
  return out;
}

std::string TraceNames::ObjectText(uint32_t id) const {
  if (id == 0 || id > objects.size()) return "object#" + std::to_string(id);
  const Object& o = objects[id - 1];
  return std::string(o.kind) + " \"" + o.name + "\"#" + std::to_string(id);
}

std::string FormatTime(Nanos t) {
  char buf[40];
  if (t == kNever) return "never";
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%09" PRId64 "s", t / 1'000'000'000,
                t % 1'000'000'000);
  return buf;
}

std::string TraceHeader() {
  char buf[120];
  std::snprintf(buf, sizeof buf, "%8s  %-16s  %-20s  %s", "step", "time", "fiber", "event");
  return buf;
}

std::string DescribeEvent(const TraceEvent& e, const TraceNames& names) {
  std::string what;
  switch (e.type) {
    case EventType::kOp:
      what = e.op != nullptr ? e.op : "?";
      if (e.object != 0) what += " " + names.ObjectText(e.object);
      if (e.has_value) what += " = " + std::to_string(e.value);
      break;
    case EventType::kChoice:
      what = "choice " + std::string(ChoiceKindName(e.choice_kind)) + ": " +
             std::to_string(e.value) + " of [0," + std::to_string(e.n) + ")";
      if (e.other != kNoFiber) what += " -> " + names.Fiber(e.other);
      break;
    case EventType::kSwitch:
      what = "runs";
      break;
    case EventType::kSpawn:
      what = "spawns " + names.Fiber(e.other);
      break;
    case EventType::kPark:
      what = e.object != 0 ? "waits on " + names.ObjectText(e.object) : std::string("sleeps");
      if (e.label != nullptr) what += std::string(" at \"") + e.label + "\"";
      if (static_cast<Nanos>(e.value) != kNever) what += " until " + FormatTime(e.value);
      break;
    case EventType::kWake:
      what = "wakes " + names.Fiber(e.other);
      if (e.object != 0) what += " (waiting on " + names.ObjectText(e.object) + ")";
      break;
    case EventType::kTimeout:
      what = "deadline passed for " + names.Fiber(e.other);
      break;
    case EventType::kTimeAdvance:
      what = "time advances to " + FormatTime(e.value);
      break;
    case EventType::kExit:
      what = e.label != nullptr ? std::string("exits: ") + e.label : std::string("exits");
      break;
    case EventType::kFail:
      what = "RUN FAILS here";
      break;
  }
  return what;
}

std::string FormatEvent(const TraceEvent& e, const TraceNames& names) {
  const std::string what = DescribeEvent(e, names);
  char head[80];
  std::snprintf(head, sizeof head, "%8" PRIu64 "  %-16s  ", e.step, FormatTime(e.time).c_str());
  std::string fiber = names.Fiber(e.fiber);
  if (fiber.size() < 20) fiber.resize(20, ' ');
  return head + fiber + "  " + what;
}

}  // namespace drpc::sim
