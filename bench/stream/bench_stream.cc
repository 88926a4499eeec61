// Receive-path benchmarks: Enqueue + Dequeue + Done through one ring, for
// 64 B, 4 KiB and 256 KiB messages, in three instantiations measured in the
// same run:
//   Pool         the production configuration (RingPolicy<false>: unchecked)
//   Fresh        the same ring with a pool that keeps nothing, so every
//                message allocates and frees its buffer (the baseline)
//   PoolChecked  RingPolicy<true>: the ownership ledger and poisoning on
// Each is run one message at a time and in bursts of 32 (32 buffers out at
// once), and once with a producer and a consumer thread. A counting global
// operator new gives the allocations per message in steady state
// (`allocs/msg`; the goal for Pool is 0). After the Google Benchmark table
// the program prints the ratios Fresh/Pool (what the pool saves) and
// PoolChecked/Pool (what checked mode costs).
//
//   cmake --preset release -B build/ring-release
//   cmake --build build/ring-release --target bench_stream
//   build/ring-release/bench/stream/bench_stream --benchmark_repetitions=5
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

template <bool kChecked>
using RingOf = BasicRingBuffer<RingPolicy<kChecked>>;

enum class Variant { kPool, kFresh, kPoolChecked };

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

template <bool kChecked>
void OneMessage(RingOf<kChecked>& ring, Bytes message) {
  if (ring.Enqueue(message) != EnqueueResult::kQueued) std::abort();
  auto lease = ring.Dequeue();
  benchmark::DoNotOptimize(lease->view().data()[lease->size() - 1]);
  lease->Done();
}

template <bool kChecked>
void RoundTrip(benchmark::State& state, Variant variant, size_t burst) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  auto pool = BasicBufferPool<kChecked>::Create(PoolOptions(variant));
  RingOf<kChecked> ring(pool);
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
template <bool kChecked>
void Threaded(benchmark::State& state, Variant variant) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  auto pool = BasicBufferPool<kChecked>::Create(PoolOptions(variant));
  RingOptions options;
  options.capacity = 64;
  constexpr uint64_t kPerIteration = 256;
  uint64_t messages = 0;
  for (auto _ : state) {
    RingOf<kChecked> ring(pool, options);
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
    case Variant::kPoolChecked:
      return "PoolChecked";
  }
  return "?";
}

void Register() {
  for (Variant variant : {Variant::kPool, Variant::kFresh, Variant::kPoolChecked}) {
    const bool checked = variant == Variant::kPoolChecked;
    for (size_t burst : {size_t{1}, kBurst}) {
      const std::string name =
          std::string(burst == 1 ? "RoundTrip_" : "Burst32_") + VariantName(variant);
      auto* b = benchmark::RegisterBenchmark(name.c_str(),
                                             [variant, burst, checked](benchmark::State& state) {
                                               if (checked) {
                                                 RoundTrip<true>(state, variant, burst);
                                               } else {
                                                 RoundTrip<false>(state, variant, burst);
                                               }
                                             });
      b->Arg(64)->Arg(4096)->Arg(256 * 1024);
    }
    const std::string name = std::string("Threaded_") + VariantName(variant);
    auto* b =
        benchmark::RegisterBenchmark(name.c_str(), [variant, checked](benchmark::State& state) {
          if (checked) {
            Threaded<true>(state, variant);
          } else {
            Threaded<false>(state, variant);
          }
        });
    b->Arg(64)->Arg(4096)->Arg(256 * 1024)->UseRealTime();
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
  std::printf(
      "\nFresh / Pool: what the pool saves; PoolChecked / Pool: the cost of checked mode\n");
  for (const char* kind : {"RoundTrip", "Burst32", "Threaded"}) {
    for (const char* size : {"64", "4096", "262144"}) {
      const std::string base = std::string(kind) + "_Pool/" + size;
      reporter.PrintRatio(std::string(kind) + "_Fresh/" + size, base);
      reporter.PrintRatio(std::string(kind) + "_PoolChecked/" + size, base);
    }
  }
  benchmark::Shutdown();
  return 0;
}
