// Size classes, decided with data (issue 15): the receive path's pooled
// buffers under a mixed-size workload (many 64 B messages, some 64 KiB, a
// rare 4 MiB one in 64 KiB frames), with a window of 16 messages queued at
// once (several streams, a consumer a little behind). Each message is
// assembled the way a stream does it (RingBuffer::TryStartAssembly, grown
// frame by frame, EnqueueOwned), then dequeued and done. Pool variants:
//   OneClass   any kept buffer, the most recently kept (the seed's pool):
//              a 64 KiB message often gets a small buffer and reallocates
//   BySize     the smallest kept buffer that fits; the largest for a packet
//              whose size is not known yet; returned buffers over 256 KiB
//              are freed (the default before max_kept_large_bytes)
//   BySizeKeepLarge  BySize, and buffers up to 4 MiB are kept, within the
//              one byte cap of all kept buffers
//   BySizeLargeCap   BySize, and buffers over 256 KiB are kept within a cap
//              of their own, 4 MiB (the default)
// Counters: allocs/msg (global operator new), moved_B/msg (bytes moved by
// a growing buffer: receive copies past the one per message; checked builds
// only), held_peak_KiB / held_end_KiB (the pool's lent + kept capacity).
// The ratios after the table compare time per message with OneClass.
//
//   build/default/bench/stream/bench_stream_sizes --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <vector>

#include "bench/common/counting_allocator.h"
#include "bench/common/ratio_reporter.h"
#include "drpc/base/copy_count.h"
#include "drpc/rt/task.h"
#include "drpc/stream/ring_buffer.h"

namespace drpc::stream {
namespace {

constexpr size_t kWindow = 16;
constexpr size_t kFrame = 64 * 1024;
constexpr size_t kMaxPacket = size_t{4} << 20;

enum class Variant { kOneClass, kBySize, kBySizeKeepLarge, kBySizeLargeCap };

BufferPoolOptions PoolOptions(Variant variant) {
  BufferPoolOptions options;
  options.reuse_by_size = variant != Variant::kOneClass;
  if (variant != Variant::kBySizeLargeCap) options.max_kept_large_bytes = 0;
  if (variant == Variant::kBySizeKeepLarge) options.max_kept_buffer_bytes = kMaxPacket;
  return options;
}

// The workload's sizes: a fixed pseudo-random sequence (same for every
// variant): 1 in 1000 is 4 MiB, 1 in 10 is 64 KiB, the rest 64 B.
std::vector<size_t> Sizes(size_t n) {
  std::vector<size_t> sizes;
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    const uint64_t r = x % 1000;
    sizes.push_back(r == 0 ? kMaxPacket : r < 100 ? 64 * 1024 : 64);
  }
  return sizes;
}

int64_t Held(const BufferPool& pool) {
  const ResourceUsage usage = pool.meter().Snapshot();
  return usage.bytes_of(ResourceKind::kPoolLent) + usage.bytes_of(ResourceKind::kPoolKept);
}

void Mixed(benchmark::State& state, Variant variant) {
  const std::vector<size_t> sizes = Sizes(4000);
  const std::vector<uint8_t> payload(kMaxPacket, 0x5a);
  auto pool = BufferPool::Create(PoolOptions(variant));
  RingBuffer ring(pool, RingOptions{.capacity = 64, .max_queued_bytes = 0});
  int64_t peak = 0;
  size_t queued = 0;
  auto receive = [&](size_t size) {
    // As Stream does: the first frame's size, then grown frame by frame.
    const size_t first = std::min(size, kFrame);
    PooledBuffer buffer = ring.TryStartAssembly(first, size > first);
    if (!buffer.has_value()) std::abort();
    for (size_t at = 0; at < size; at += kFrame) {
      const size_t n = std::min(kFrame, size - at);
      if (!ring.TryGrowAssembly(buffer, at + n, kMaxPacket)) std::abort();
      buffer.bytes().Append(Bytes(payload.data(), n));
    }
    if (ring.EnqueueOwned(std::move(buffer)) != EnqueueResult::kQueued) std::abort();
    if (++queued > kWindow) {
      Result<Lease> lease = ring.Dequeue();
      benchmark::DoNotOptimize(lease->view().data());
      lease->Done();
      --queued;
    }
    peak = std::max(peak, Held(*pool));
  };
  for (size_t size : sizes) receive(size);  // warm
  ResetCopyCounts();
  const bench::AllocationCounter allocations;
  uint64_t messages = 0, bytes = 0;
  peak = 0;
  for (auto _ : state) {
    for (size_t size : sizes) {
      receive(size);
      bytes += size;
    }
    messages += sizes.size();
  }
  state.counters["allocs/msg"] =
      static_cast<double>(allocations.count()) / static_cast<double>(messages);
  state.counters["moved_B/msg"] =
      static_cast<double>(CopiedBytes(CopyPath::kReceive)) / static_cast<double>(messages);
  state.counters["held_peak_KiB"] = static_cast<double>(peak) / 1024;
  while (queued > 0) {
    ring.Dequeue()->Done();
    --queued;
  }
  state.counters["held_end_KiB"] = static_cast<double>(Held(*pool)) / 1024;
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

}  // namespace
}  // namespace drpc::stream

int main(int argc, char** argv) {
  using drpc::stream::Variant;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  drpc::rt::spawn("warmup", [] {}).join();
  for (auto [variant, name] : {std::pair{Variant::kOneClass, "Mixed_OneClass"},
                               std::pair{Variant::kBySize, "Mixed_BySize"},
                               std::pair{Variant::kBySizeKeepLarge, "Mixed_BySizeKeepLarge"},
                               std::pair{Variant::kBySizeLargeCap, "Mixed_BySizeLargeCap"}}) {
    benchmark::RegisterBenchmark(
        name, [variant](benchmark::State& state) { drpc::stream::Mixed(state, variant); });
  }
  drpc::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%s build; time per message against OneClass\n",
              drpc::stream::kCheckedBuild ? "checked" : "unchecked");
  reporter.PrintRatio("Mixed_BySize", "Mixed_OneClass");
  reporter.PrintRatio("Mixed_BySizeKeepLarge", "Mixed_OneClass");
  reporter.PrintRatio("Mixed_BySizeLargeCap", "Mixed_OneClass");
  benchmark::Shutdown();
  return 0;
}
