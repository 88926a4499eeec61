// Receive-path benchmarks: Enqueue + Dequeue + Done through one ring, for
// 64 B, 4 KiB and 256 KiB messages, with two pools:
//   Pool   the production configuration
//   Fresh  a pool that keeps nothing, so every message allocates and frees
//          its buffer (the baseline)
// Each is run one message at a time and in bursts of 32 (32 buffers out at
// once), and once with a producer and a consumer thread. A counting global
// operator new gives the allocations per message in steady state
// (`allocs/msg`; the goal for Pool is 0). After the Google Benchmark table
// the program prints the ratios Fresh/Pool (what the pool saves).
//
// The ring is the build's: unchecked in the release preset (the production
// figures), checked (ledger, poisoning, plant sites) in the default preset.
// To see what checked mode costs, run the two builds' binaries back to back.
//
//   cmake --preset release && cmake --build --preset release --target bench_stream
//   build/release/bench/stream/bench_stream --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/common/counting_allocator.h"
#include "bench/common/ratio_reporter.h"
#include "drpc/rt/task.h"
#include "drpc/stream/ring_buffer.h"

namespace drpc::stream {
namespace {

constexpr size_t kBurst = 32;

enum class Variant { kPool, kFresh };

BufferPoolOptions PoolOptions(Variant variant) {
  BufferPoolOptions options;
  if (variant == Variant::kFresh) {
    options.max_kept_buffers = 0;        // every return frees
    options.initial_capacity_bytes = 0;  // and the copy allocates exactly what it needs
  }
  return options;
}

std::vector<uint8_t> Payload(size_t size) {
  std::vector<uint8_t> payload(size);
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i * 131 + 7);
  return payload;
}

void RoundTrip(benchmark::State& state, Variant variant, size_t burst) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  auto pool = BufferPool::Create(PoolOptions(variant));
  RingBuffer ring(pool);
  auto one_burst = [&] {
    for (size_t i = 0; i < burst; ++i) {
      if (ring.Enqueue(Bytes(payload)) != EnqueueResult::kQueued) std::abort();
    }
    for (size_t i = 0; i < burst; ++i) {
      auto lease = ring.Dequeue();
      benchmark::DoNotOptimize(lease->view().data()[size - 1]);
      lease->Done();
    }
  };
  for (int warm = 0; warm < 4; ++warm) one_burst();  // steady state: the pool is warm
  const bench::AllocationCounter allocations;
  for (auto _ : state) one_burst();
  const double messages = static_cast<double>(state.iterations() * burst);
  state.counters["allocs/msg"] = static_cast<double>(allocations.count()) / messages;
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.SetBytesProcessed(static_cast<int64_t>(messages * static_cast<double>(size)));
}

// A producer thread and the consumer (this thread), as on a connection.
void Threaded(benchmark::State& state, Variant variant) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  auto pool = BufferPool::Create(PoolOptions(variant));
  RingOptions options;
  options.capacity = 64;
  constexpr uint64_t kPerIteration = 256;
  uint64_t messages = 0;
  for (auto _ : state) {
    RingBuffer ring(pool, options);
    rt::Task producer = rt::spawn("producer", [&] {
      for (uint64_t i = 0; i < kPerIteration; ++i) {
        if (ring.Enqueue(Bytes(payload)) != EnqueueResult::kQueued) std::abort();
      }
    });
    for (uint64_t i = 0; i < kPerIteration; ++i) {
      auto lease = ring.Dequeue();
      benchmark::DoNotOptimize(lease->view().data()[size - 1]);
    }
    producer.join();
    messages += kPerIteration;
  }
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.SetBytesProcessed(static_cast<int64_t>(messages * size));
}

const char* VariantName(Variant variant) {
  switch (variant) {
    case Variant::kPool:
      return "Pool";
    case Variant::kFresh:
      return "Fresh";
  }
  return "?";
}

void Register() {
  for (Variant variant : {Variant::kPool, Variant::kFresh}) {
    for (size_t burst : {size_t{1}, kBurst}) {
      const std::string name =
          std::string(burst == 1 ? "RoundTrip_" : "Burst32_") + VariantName(variant);
      benchmark::RegisterBenchmark(
          name.c_str(),
          [variant, burst](benchmark::State& state) { RoundTrip(state, variant, burst); })
          ->Arg(64)
          ->Arg(4096)
          ->Arg(256 * 1024);
    }
    const std::string name = std::string("Threaded_") + VariantName(variant);
    benchmark::RegisterBenchmark(name.c_str(),
                                 [variant](benchmark::State& state) { Threaded(state, variant); })
        ->Arg(64)
        ->Arg(4096)
        ->Arg(256 * 1024)
        ->UseRealTime();
  }
}

}  // namespace
}  // namespace drpc::stream

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Leave glibc's single-thread lock mode first (every rt user has threads).
  drpc::rt::spawn("warmup", [] {}).join();
  drpc::stream::Register();
  drpc::bench::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  std::printf("\n%s build; Fresh / Pool: what the pool saves\n",
              drpc::stream::kCheckedBuild ? "checked" : "unchecked");
  for (const char* kind : {"RoundTrip", "Burst32", "Threaded"}) {
    for (const char* size : {"64", "4096", "262144"}) {
      const std::string base = std::string(kind) + "_Pool/" + size;
      reporter.PrintRatio(std::string(kind) + "_Fresh/" + size, base);
    }
  }
  benchmark::Shutdown();
  return 0;
}
