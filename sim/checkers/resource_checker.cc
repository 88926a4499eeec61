#include "sim/checkers/resource_checker.h"

#include <algorithm>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/wire/frame.h"

namespace drpc::sim {
namespace {

[[noreturn]] void Failed(const std::string& what) { Fail("resource checker: " + what); }

std::string Limit(size_t limit) {
  return limit == std::numeric_limits<size_t>::max() ? "none" : std::to_string(limit);
}

}  // namespace

size_t WriterQueueBound(const manager::ManagerOptions& options) {
  const size_t mark = options.writer.high_water_bytes;
  if (mark == 0) return std::numeric_limits<size_t>::max();
  const int64_t split = options.stream.split_size;
  const size_t data = split > 0    ? static_cast<size_t>(split)
                      : split == 0 ? size_t{64} << 10
                                   : options.stream.max_packet_size;
  const size_t frame = data + wire::kMaxFrameOverhead;
  return 4 * (mark + 4 * frame);
}

ResourceChecker::ResourceChecker() : hook_(std::make_unique<StepHook>([this] { CheckNow(); })) {}

void ResourceChecker::Watch(std::string name, std::shared_ptr<const ResourceMeter> meter,
                            ResourceLimits limits) {
  DRPC_ASSERT(meter != nullptr, "ResourceChecker::Watch of a null meter");
  entries_.push_back(Entry{.name = std::move(name), .meter = std::move(meter), .limits = limits});
}

void ResourceChecker::WatchConnection(const manager::Manager& connection) {
  const ConnectionBudget& budget = connection.options().budget;
  Watch(connection.options().name, connection.meter(),
        ResourceLimits{.max_bytes = budget.max_bytes,
                       .max_tasks = budget.max_tasks,
                       .max_writer_queue_bytes = WriterQueueBound(connection.options())});
}

void ResourceChecker::CheckNow() {
  for (Entry& e : entries_) {
    const ResourceUsage now = e.meter->Snapshot();
    for (size_t i = 0; i < kResourceKindCount; ++i) {
      if (now.bytes[i] < 0) {
        Failed("\"" + e.name +
               "\": " + std::string(ResourceKindName(static_cast<ResourceKind>(i))) + " is " +
               std::to_string(now.bytes[i]) +
               " bytes (released more than was counted): " + now.ToString());
      }
    }
    if (now.tasks < 0 || now.connections < 0) {
      Failed("\"" + e.name + "\": a negative count: " + now.ToString());
    }
    const int64_t total = now.total_bytes();
    e.peak_bytes = std::max(e.peak_bytes, total);
    e.peak_tasks = std::max(e.peak_tasks, now.tasks);
    if (static_cast<uint64_t>(total) > e.limits.max_bytes) {
      Failed("\"" + e.name + "\" holds " + std::to_string(total) + " bytes, over its budget of " +
             std::to_string(e.limits.max_bytes) + " (max_bytes): " + now.ToString());
    }
    const int64_t writer = now.bytes_of(ResourceKind::kWriterQueue);
    if (static_cast<uint64_t>(writer) > e.limits.max_writer_queue_bytes) {
      Failed("\"" + e.name + "\"'s writer holds " + std::to_string(writer) +
             " bytes of queue, over its bound of " +
             std::to_string(e.limits.max_writer_queue_bytes) +
             " (4 x (high_water_bytes + 4 frames): data frames went past the mark): " +
             now.ToString());
    }
    if (static_cast<uint64_t>(now.tasks) > e.limits.max_tasks) {
      Failed("\"" + e.name + "\" runs " + std::to_string(now.tasks) + " tasks, over its limit of " +
             std::to_string(e.limits.max_tasks) + " (max_tasks): " + now.ToString());
    }
    if (static_cast<uint64_t>(now.connections) > e.limits.max_connections) {
      Failed("\"" + e.name + "\" serves " + std::to_string(now.connections) +
             " connections, over its limit of " + std::to_string(e.limits.max_connections) +
             " (max_connections): " + now.ToString());
    }
  }
}

void ResourceChecker::CheckReleased() const {
  for (const Entry& e : entries_) {
    const ResourceUsage now = e.meter->Snapshot();
    if (now.empty()) continue;
    std::string held;
    for (size_t i = 0; i < kResourceKindCount; ++i) {
      if (now.bytes[i] == 0) continue;
      held += std::string(held.empty() ? "" : ", ") +
              std::string(ResourceKindName(static_cast<ResourceKind>(i))) + " " +
              std::to_string(now.bytes[i]) + " bytes";
    }
    if (now.tasks != 0) held += (held.empty() ? "" : ", ") + std::to_string(now.tasks) + " tasks";
    if (now.connections != 0) {
      held += (held.empty() ? "" : ", ") + std::to_string(now.connections) + " connections";
    }
    Failed("\"" + e.name + "\" still holds " + held +
           " after everything was closed and destroyed: " + now.ToString());
  }
}

std::string ResourceChecker::Peaks() const {
  std::string out;
  for (const Entry& e : entries_) {
    out += e.name + " peak " + std::to_string(e.peak_bytes) + " bytes (budget " +
           Limit(e.limits.max_bytes) + "), " + std::to_string(e.peak_tasks) + " tasks (limit " +
           Limit(e.limits.max_tasks) + ")\n";
  }
  return out;
}

}  // namespace drpc::sim
