#include "drpc/stream/ledger.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "drpc/base/check.h"
#include "drpc/rt/task.h"

namespace drpc::stream {
namespace {

std::string Who(uint64_t task_id, std::string_view task_name, uint64_t step) {
  char line[96];
  std::snprintf(line, sizeof(line), "step %-6llu task %llu \"%.*s\"",
                static_cast<unsigned long long>(step), static_cast<unsigned long long>(task_id),
                static_cast<int>(task_name.size()), task_name.data());
  return line;
}

std::string PlaceText(Place place, uint32_t ring, uint32_t slot) {
  switch (place) {
    case Place::kFreed:
      return "freed (not lent, bytes released)";
    case Place::kInPool:
      return "in the pool";
    case Place::kOwned:
      return "owned by a task (lent, in no ring)";
    case Place::kAssembling:
      return "being assembled for ring " + std::to_string(ring);
    case Place::kProducer:
      return "with the producer of ring " + std::to_string(ring);
    case Place::kQueued:
      return "queued in ring " + std::to_string(ring) + " slot " + std::to_string(slot);
    case Place::kHeld:
      return "held by the consumer of ring " + std::to_string(ring);
  }
  return "?";
}

[[noreturn]] void Stop(const std::string& report) {
  InvariantViolated(__FILE__, __LINE__, "the ownership ledger", report);
}

}  // namespace

const char* AssemblingMoveError(Place from, Place to, const char* op) {
  const bool freed = to == Place::kInPool || to == Place::kFreed;
  if (to == Place::kAssembling) {
    // kOwned: just lent by the pool's TryGet, as the ring's TryStartAssembly does.
    if (from == Place::kAssembling || from == Place::kOwned) return nullptr;
    return "a buffer entered the assembling state from a place other than a fresh lending";
  }
  if (from != Place::kAssembling) return nullptr;
  if (to == Place::kProducer) return nullptr;
  const std::string_view why(op);
  if (freed && (why.starts_with("abandoned") || why.starts_with("handled"))) return nullptr;
  if (freed) return "a buffer being assembled went back to the pool without an abandonment reason";
  return "a buffer being assembled went somewhere other than its ring's producer or the pool";
}

void LedgerRecord::Move(const char* op, Place to, uint64_t generation, uint32_t ring,
                        uint32_t slot) {
  if (const char* wrong = AssemblingMoveError(place_, to, op)) {
    LedgerViolation(wrong, "(buffer named in the history below)", *this,
                    std::string("the move: ") + op + " -> " + PlaceText(to, ring, slot));
  }
  const rt::TaskView task = rt::current_task_view();  // no copy: events must not allocate
  LedgerEvent& event = history_[moves_ % kHistory];
  event.step = task.step;
  event.task_id = task.id;
  event.task_name.fill('\0');
  const size_t n = std::min(task.name.size(), event.task_name.size() - 1);
  std::copy_n(task.name.data(), n, event.task_name.data());
  event.op = op;
  event.to = to;
  event.ring = ring;
  event.slot = slot;
  event.generation = generation;
  ++moves_;
  place_ = to;
  ring_ = ring;
  slot_ = slot;
}

std::string LedgerRecord::DescribePlace() const { return PlaceText(place_, ring_, slot_); }

std::string LedgerRecord::History() const {
  std::string out;
  const uint64_t first = moves_ > kHistory ? moves_ - kHistory : 0;
  if (first > 0) out += "    (" + std::to_string(first) + " earlier moves not kept)\n";
  for (uint64_t i = first; i < moves_; ++i) {
    const LedgerEvent& e = history_[i % kHistory];
    char op[64];
    std::snprintf(op, sizeof(op), "  %-16s gen %-4llu -> ", e.op,
                  static_cast<unsigned long long>(e.generation));
    out += "    " + Who(e.task_id, e.task_name.data(), e.step) + op +
           PlaceText(e.to, e.ring, e.slot) + "\n";
  }
  if (moves_ == 0) out += "    (no moves)\n";
  return out;
}

std::string BufferName(std::string_view pool_name, uint32_t index, uint64_t generation) {
  return "pool \"" + std::string(pool_name) + "\" buffer #" + std::to_string(index) +
         " (generation " + std::to_string(generation) + ")";
}

void LedgerViolation(std::string_view what, std::string_view buffer, const LedgerRecord& record,
                     std::string_view detail) {
  const rt::TaskInfo task = rt::current_task();
  std::string report = "buffer ledger: " + std::string(what) + "\n";
  report += "  buffer: " + std::string(buffer) + "\n";
  report += "  place:  " + record.DescribePlace() + "\n";
  if (!detail.empty()) report += "  " + std::string(detail) + "\n";
  report += "  seen by " + Who(task.id, task.name, task.step) + "\n";
  report += "  history (oldest first):\n" + record.History();
  Stop(report);
}

void LedgerViolation(std::string_view what, std::string_view detail) {
  const rt::TaskInfo task = rt::current_task();
  std::string report = "buffer ledger: " + std::string(what) + "\n";
  if (!detail.empty()) report += "  " + std::string(detail) + "\n";
  report += "  seen by " + Who(task.id, task.name, task.step) + "\n";
  Stop(report);
}

}  // namespace drpc::stream
