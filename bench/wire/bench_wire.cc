// Wire layer benchmarks. Every result is also printed as a ratio against a
// baseline measured in the same run: a plain memcpy of the same number of
// bytes into a preallocated buffer (Baseline_Memcpy/<bytes>). Each benchmark
// names its baseline in its label ("vs <bytes>"); the ratio table comes after
// the normal Google Benchmark output.
//
//   build/wire-release/bench/wire/bench_wire [--benchmark_filter=...]
//
// Reference (Go drpc): building a frame 8-23 ns, parsing one 11-17 ns.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/wire/assembler.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/memory_io.h"
#include "drpc/wire/reader.h"
#include "drpc/wire/split.h"
#include "drpc/wire/writer.h"

namespace drpc::wire {
namespace {

constexpr size_t kStreamBytes = 256 * 1024;  // size of the in-memory stream for reader runs

std::vector<uint8_t> Payload(size_t size) {
  std::vector<uint8_t> payload(size);
  for (size_t i = 0; i < size; ++i) payload[i] = static_cast<uint8_t>(i * 131 + 7);
  return payload;
}

Frame MessageFrame(Bytes data, uint64_t message_id = 42) {
  Frame frame;
  frame.stream_id = 7;
  frame.message_id = message_id;
  frame.kind = ToRaw(Kind::kMessage);
  frame.done = true;
  frame.data = data;
  return frame;
}

void SetBaseline(benchmark::State& state, size_t bytes) {
  state.SetLabel("vs " + std::to_string(bytes));
}

// A ByteSink that keeps nothing (measures the writer, not the sink).
class NullSink final : public ByteSink {
 public:
  Status Write(Bytes data) override {
    benchmark::DoNotOptimize(data.data());
    bytes_ += data.size();
    return Status();
  }
  size_t bytes_ = 0;
};

void Baseline_Memcpy(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  std::vector<uint8_t> target(size + kMaxFrameOverhead);
  for (auto _ : state) {
    benchmark::DoNotOptimize(payload.data());
    std::memcpy(target.data() + 4, payload.data(), size);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(Baseline_Memcpy)->Arg(8)->Arg(1024)->Arg(65536)->Arg(kStreamBytes)->Arg(1 << 20);

void Frame_Append(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  const Frame frame = MessageFrame(Bytes(payload.data(), size));
  Buffer out(size + kMaxFrameOverhead);
  for (auto _ : state) {
    out.clear();
    AppendFrame(out, frame);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  SetBaseline(state, size);
}
BENCHMARK(Frame_Append)->Arg(8)->Arg(1024)->Arg(65536);

void Frame_Parse(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  Buffer encoded;
  AppendFrame(encoded, MessageFrame(Bytes(payload.data(), size)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(encoded.data());
    const FrameParse parsed = ParseFrame(encoded.view());
    benchmark::DoNotOptimize(parsed.frame.data.data());
    benchmark::DoNotOptimize(parsed.consumed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  SetBaseline(state, size);
}
BENCHMARK(Frame_Parse)->Arg(8)->Arg(1024)->Arg(65536);

// All frames of a ~256 KiB in-memory stream through a FrameReader (which
// copies each byte once, from the source into its buffer).
void Reader_InMemory(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  const size_t frames = kStreamBytes / size > 0 ? kStreamBytes / size : 1;
  Buffer stream;
  for (size_t i = 0; i < frames; ++i) {
    AppendFrame(stream, MessageFrame(Bytes(payload.data(), size), i + 1));
  }
  SpanSource source(stream.view());
  const ReaderOptions options{.max_frame_size = 1 << 20, .read_size = 64 * 1024};
  for (auto _ : state) {
    source.Rewind();
    FrameReader reader(source, options);
    for (size_t i = 0; i < frames; ++i) {
      Result<Frame> frame = reader.ReadFrame();
      benchmark::DoNotOptimize(frame->data.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * frames * size));
  SetBaseline(state, kStreamBytes);
}
BENCHMARK(Reader_InMemory)->Arg(8)->Arg(1024)->Arg(65536);

// Joins one message split into frames: args = message size, split size.
void Assembler_Join(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const int64_t split = state.range(1);
  const std::vector<uint8_t> payload = Payload(size);
  std::vector<Frame> frames;
  for (PacketSplitter s(Packet{7, 1, ToRaw(Kind::kMessage), false, Bytes(payload.data(), size)},
                        split);
       !s.finished();) {
    frames.push_back(s.Next());
  }
  PacketAssembler assembler(7, AssemblerOptions{.max_packet_size = size_t{8} << 20});
  uint64_t message_id = 0;
  for (auto _ : state) {
    ++message_id;
    for (Frame& frame : frames) {
      frame.message_id = message_id;
      Result<AssembleStep> step = assembler.Append(frame);
      benchmark::DoNotOptimize(step->packet);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * frames.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  SetBaseline(state, size);
}
BENCHMARK(Assembler_Join)->Args({65536, 4096})->Args({1 << 20, 65536})->Args({1024, 1024});

// A packet written through a FrameWriter (default 4 KiB buffer, 64 KiB
// splits) into a sink that keeps nothing.
void Writer_Packet(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const std::vector<uint8_t> payload = Payload(size);
  NullSink sink;
  FrameWriter writer(sink);
  const Packet packet{7, 1, ToRaw(Kind::kMessage), false, Bytes(payload.data(), size)};
  for (auto _ : state) {
    Status status = writer.WritePacket(packet);
    benchmark::DoNotOptimize(status);
  }
  (void)writer.Flush();
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  SetBaseline(state, size);
}
BENCHMARK(Writer_Packet)->Arg(8)->Arg(1024)->Arg(65536);

// Prints the usual console output, then a table of every benchmark against
// its memcpy baseline from the same run. It uses CPU time throughout (as the
// rate counters do): the 2-core machine is shared, so wall time is noisy.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred || run.run_type != Run::RT_Iteration) continue;
      Row row;
      row.name = run.benchmark_name();
      row.ns = run.GetAdjustedCPUTime() * TimeUnitToNs(run.time_unit);
      const auto items = run.counters.find("items_per_second");
      if (items != run.counters.end() && items->second.value > 0) {
        row.ns_per_item = 1e9 / items->second.value;
      }
      const auto bytes = run.counters.find("bytes_per_second");
      if (bytes != run.counters.end()) row.mb_per_s = bytes->second.value / 1e6;
      row.label = run.report_label;
      rows_.push_back(row);
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    std::map<std::string, double> baseline_ns;
    for (const Row& row : rows_) {
      if (row.name.rfind("Baseline_Memcpy/", 0) == 0) {
        baseline_ns[row.name.substr(std::strlen("Baseline_Memcpy/"))] = row.ns;
      }
    }
    std::printf("\n%-34s %12s %12s %12s %14s %10s\n", "benchmark", "cpu ns/iter", "ns/frame",
                "MB/s", "memcpy ns", "x memcpy");
    for (const Row& row : rows_) {
      if (row.label.rfind("vs ", 0) != 0) continue;
      const auto base = baseline_ns.find(row.label.substr(3));
      const double base_ns = base == baseline_ns.end() ? 0 : base->second;
      std::printf("%-34s %12.1f %12.1f %12.0f %14.1f %10.2f\n", row.name.c_str(), row.ns,
                  row.ns_per_item, row.mb_per_s, base_ns, base_ns > 0 ? row.ns / base_ns : 0.0);
    }
  }

 private:
  struct Row {
    std::string name;
    std::string label;
    double ns = 0;
    double ns_per_item = 0;
    double mb_per_s = 0;
  };
  static double TimeUnitToNs(benchmark::TimeUnit unit) {
    switch (unit) {
      case benchmark::kNanosecond:
        return 1;
      case benchmark::kMicrosecond:
        return 1e3;
      case benchmark::kMillisecond:
        return 1e6;
      case benchmark::kSecond:
        return 1e9;
    }
    return 1;
  }
  std::vector<Row> rows_;
};

}  // namespace
}  // namespace drpc::wire

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  drpc::wire::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
