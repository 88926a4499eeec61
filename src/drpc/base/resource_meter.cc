#include "drpc/base/resource_meter.h"

namespace drpc {

std::string_view ResourceKindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kPoolLent:
      return "pool-lent";
    case ResourceKind::kPoolKept:
      return "pool-kept";
    case ResourceKind::kRingSlots:
      return "ring-slots";
    case ResourceKind::kAssembler:
      return "assembler";
    case ResourceKind::kFrameReader:
      return "frame-reader";
    case ResourceKind::kWriterQueue:
      return "writer-queue";
    case ResourceKind::kMarshal:
      return "marshal";
    case ResourceKind::kCount:
      break;
  }
  return "?";
}

bool ResourceUsage::empty() const {
  for (int64_t b : bytes) {
    if (b != 0) return false;
  }
  return tasks == 0 && connections == 0;
}

std::string ResourceUsage::ToString() const {
  std::string out = "total=" + std::to_string(total_bytes());
  for (size_t i = 0; i < kResourceKindCount; ++i) {
    if (bytes[i] == 0) continue;
    out += " ";
    out += ResourceKindName(static_cast<ResourceKind>(i));
    out += "=" + std::to_string(bytes[i]);
  }
  out += " tasks=" + std::to_string(tasks);
  if (connections != 0) out += " connections=" + std::to_string(connections);
  return out;
}

ResourceUsage& ResourceUsage::operator+=(const ResourceUsage& other) {
  for (size_t i = 0; i < kResourceKindCount; ++i) bytes[i] += other.bytes[i];
  tasks += other.tasks;
  connections += other.connections;
  return *this;
}

}  // namespace drpc
