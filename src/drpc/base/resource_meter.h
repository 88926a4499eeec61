// ResourceMeter: what one connection holds, by category, counted as it
// changes, so a snapshot costs a few loads and no lock. Every part of a
// connection that keeps bytes a peer can make it keep (the buffer pool, the
// receive rings, partial packets, the frame reader, the writer queue, the
// marshal buffers) adds its changes here; the manager and the server count
// the connection's tasks.
//
//   auto meter = std::make_shared<ResourceMeter>();
//   MeteredBytes held(meter.get(), ResourceKind::kMarshal);
//   buffer.Append(data);
//   held.Set(buffer.capacity());             // adds the difference
//   ResourceUsage now = meter->Snapshot();   // now.bytes_of(kMarshal) == capacity
//
// Counters are relaxed atomics: a meter is a measurement, never used to order
// anything, so no update is a scheduling point in the simulator and the hot
// path gains no lock. A snapshot is consistent per counter, not across them.
// What each category covers and the budget it is checked against:
// docs/resources.md.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>

namespace drpc {

enum class ResourceKind : uint8_t {
  kPoolLent,     // capacity of pooled receive buffers lent out (queued, held, being filled)
  kPoolKept,     // capacity of free pooled buffers the pool keeps for reuse
  kRingSlots,    // the receive rings' slot arrays
  kAssembler,    // invokes being assembled (a stream's partial packet is kPoolLent)
  kFrameReader,  // the connection's frame reader buffer (a partial frame)
  kWriterQueue,  // the writer's queued and in-flight encoded frames
  kMarshal,      // per-stream marshal buffers (outgoing messages being encoded)
  kCount,
};
inline constexpr size_t kResourceKindCount = static_cast<size_t>(ResourceKind::kCount);

// "pool-lent", "writer-queue", ...
std::string_view ResourceKindName(ResourceKind kind);

// A snapshot. Signed: a negative count is an accounting bug (something
// released twice), which a checker reports rather than hides.
struct ResourceUsage {
  std::array<int64_t, kResourceKindCount> bytes{};
  int64_t tasks = 0;
  int64_t connections = 0;  // a server's; 0 for a connection

  int64_t bytes_of(ResourceKind kind) const { return bytes[static_cast<size_t>(kind)]; }
  int64_t total_bytes() const {
    int64_t total = 0;
    for (int64_t b : bytes) total += b;
    return total;
  }
  // True when nothing is held at all.
  bool empty() const;
  // "total=1234 pool-lent=1024 marshal=210 tasks=3" (zero categories left out).
  std::string ToString() const;
  ResourceUsage& operator+=(const ResourceUsage& other);
};

class ResourceMeter {
 public:
  ResourceMeter() = default;
  ResourceMeter(const ResourceMeter&) = delete;
  ResourceMeter& operator=(const ResourceMeter&) = delete;

  // `delta` more bytes of `kind` (negative: fewer), whatever the limits:
  // for what is bounded by construction (docs/resources.md, "The budget").
  void AddBytes(ResourceKind kind, int64_t delta) {
    total_.fetch_add(delta, kRelaxed);
    AddToCategory(kind, delta);
  }
  // `delta` more bytes of `kind` only if the total stays within `limit`
  // (ReceiveLimit or SendLimit); false: nothing was counted. The check and
  // the add are one atomic step, so tasks growing at once never pass the
  // limit together.
  [[nodiscard]] bool TryAddBytes(ResourceKind kind, int64_t delta, int64_t limit) {
    if (delta <= 0) {
      AddBytes(kind, delta);
      return true;
    }
    int64_t total = total_.load(kRelaxed);
    do {
      if (total > limit - delta) return false;
    } while (!total_.compare_exchange_weak(total, total + delta, kRelaxed));
    AddToCategory(kind, delta);
    return true;
  }
  // The enforced limits (docs/resources.md, "What happens at the budget"):
  // what the peer makes the connection hold (partial packets, queued
  // messages) is refused past ReceiveLimit; what the connection's own
  // senders hold (marshal buffers) past SendLimit, which is higher, so that
  // a flood of incoming data never leaves a reply no room. Unlimited until
  // SetLimits.
  void SetLimits(int64_t receive_limit, int64_t send_limit) {
    receive_limit_.store(receive_limit, kRelaxed);
    send_limit_.store(send_limit, kRelaxed);
  }
  int64_t ReceiveLimit() const { return receive_limit_.load(kRelaxed); }
  int64_t SendLimit() const { return send_limit_.load(kRelaxed); }
  // Every category together, as counted now.
  int64_t TotalBytes() const { return total_.load(kRelaxed); }
  // `delta` bytes stop being lent and are kept (negative: the reverse).
  void MovePoolBytesToKept(int64_t delta) {
    Counter(ResourceKind::kPoolKept).fetch_add(delta, kRelaxed);
  }
  void AddTasks(int64_t delta) { tasks_.fetch_add(delta, std::memory_order_relaxed); }
  void AddConnections(int64_t delta) { connections_.fetch_add(delta, std::memory_order_relaxed); }

  ResourceUsage Snapshot() const {
    ResourceUsage out;
    for (size_t i = 0; i < kResourceKindCount; ++i) out.bytes[i] = bytes_[i].load(kRelaxed);
    // Stored as held (see AddBytes): lent = held - kept.
    out.bytes[static_cast<size_t>(ResourceKind::kPoolLent)] -=
        out.bytes_of(ResourceKind::kPoolKept);
    out.tasks = tasks_.load(std::memory_order_relaxed);
    out.connections = connections_.load(std::memory_order_relaxed);
    return out;
  }

 private:
  static constexpr std::memory_order kRelaxed = std::memory_order_relaxed;
  static constexpr int64_t kUnlimited = std::numeric_limits<int64_t>::max();
  std::atomic<int64_t>& Counter(ResourceKind kind) { return bytes_[static_cast<size_t>(kind)]; }
  void AddToCategory(ResourceKind kind, int64_t delta) {
    // The pool's bytes are stored as held (lent + kept) and kept, so that a
    // buffer moving between lent and kept, the pool's per-message case, is
    // one update (MovePoolBytesToKept); more kept bytes are more held ones.
    if (kind == ResourceKind::kPoolKept)
      Counter(ResourceKind::kPoolLent).fetch_add(delta, kRelaxed);
    Counter(kind).fetch_add(delta, kRelaxed);
  }

  std::array<std::atomic<int64_t>, kResourceKindCount> bytes_{};
  std::atomic<int64_t> total_{0};  // every category (a move lent <-> kept changes nothing)
  std::atomic<int64_t> receive_limit_{kUnlimited};
  std::atomic<int64_t> send_limit_{kUnlimited};
  std::atomic<int64_t> tasks_{0};
  std::atomic<int64_t> connections_{0};
};

// One buffer's size as counted in a meter: Set(n) adds the difference from
// what was counted; destruction (or Set(0)) takes it all back. A null meter
// counts nothing. Moves carry the count (the moved-from counts 0).
class MeteredBytes {
 public:
  MeteredBytes() = default;
  MeteredBytes(ResourceMeter* meter, ResourceKind kind) : meter_(meter), kind_(kind) {}
  MeteredBytes(MeteredBytes&& other) noexcept
      : meter_(other.meter_), kind_(other.kind_), counted_(std::exchange(other.counted_, 0)) {}
  MeteredBytes& operator=(MeteredBytes&& other) noexcept {
    if (this != &other) {
      Set(0);
      meter_ = other.meter_;
      kind_ = other.kind_;
      counted_ = std::exchange(other.counted_, 0);
    }
    return *this;
  }
  MeteredBytes(const MeteredBytes&) = delete;
  MeteredBytes& operator=(const MeteredBytes&) = delete;
  ~MeteredBytes() { Set(0); }

  // Cheap when nothing changed: one compare.
  void Set(size_t bytes) {
    if (bytes == counted_) return;
    if (meter_ != nullptr) {
      meter_->AddBytes(kind_, static_cast<int64_t>(bytes) - static_cast<int64_t>(counted_));
    }
    counted_ = bytes;
  }
  // Grows the count to `bytes` only if the meter's total stays within
  // `limit` (ResourceMeter::TryAddBytes); shrinking always succeeds. A null
  // meter always succeeds.
  [[nodiscard]] bool TrySet(size_t bytes, int64_t limit) {
    if (bytes <= counted_ || meter_ == nullptr) {
      Set(bytes);
      return true;
    }
    if (!meter_->TryAddBytes(kind_, static_cast<int64_t>(bytes - counted_), limit)) return false;
    counted_ = bytes;
    return true;
  }
  ResourceMeter* meter() const { return meter_; }
  // Planted bugs only: drops the count without giving it back to the meter.
  void Forget() { counted_ = 0; }
  size_t counted() const { return counted_; }

 private:
  ResourceMeter* meter_ = nullptr;
  ResourceKind kind_ = ResourceKind::kPoolLent;
  size_t counted_ = 0;
};

// The limits a connection is checked against (ManagerOptions::budget).
// Checked at every step by the simulator's resource checker
// (sim/checkers/resource_checker.h); the manager enforces max_bytes
// (ResourceMeter::SetLimits). docs/resources.md explains the defaults and
// what a peer sees at the budget.
struct ConnectionBudget {
  // Every category of ResourceKind together.
  size_t max_bytes = size_t{64} << 20;
  // The connection's tasks: its reader, writer and deadline watcher, and on
  // a server its supervisor and its workers (one per running call, plus
  // spares). The default allows every stream of max_concurrent_streams
  // (1024) a handler task, with room for the fixed ones.
  size_t max_tasks = 1024 + 8;
};

}  // namespace drpc
