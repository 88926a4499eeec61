// Streaming throughput over one connection (OS backend), with a raw
// transport baseline measured in the same run.
//
//   Manager/<transport>/<size>/<streams>   S client streams each send M
//       messages (MsgSend, default split) to S server handlers (MsgRecv);
//       one direction, all S streams at once on one connection.
//   Raw/<transport>/<size>/<streams>       the same bytes (each message's
//       encoded frame size, one write per message) written to the bare
//       transport by S writer threads and read by one reader thread.
// transport: socketpair (AF_UNIX) or tcp (loopback). size: 64 B or 64 KiB.
// Rates: msgs/s (items_per_second) and MB/s (bytes_per_second). After the
// table the program prints manager/raw ratios and the allocations per
// received message (a counting operator new over the whole process, both
// sides, steady state).
//
// Copies of a received message today (reported, not measured): the kernel
// read into the frame reader's buffer, then (1) Enqueue copies the frame's
// bytes into a pooled buffer (the assembler aliases a one-frame packet; a
// multi-frame packet adds a join copy into the assembler's buffer first),
// then (2) MsgRecv/RawRecv copies out of the pooled buffer (BytesCodec into
// a std::string; protobuf would parse instead). So 2 user-space copies per
// one-frame message, 3 per multi-frame message; the later target is 1.
//
//   cmake --preset release -B build/mgr-release
//   cmake --build build/mgr-release --target bench_manager
//   build/mgr-release/bench/manager/bench_manager
#include <benchmark/benchmark.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/counting_allocator.h"
#include "bench/common/tcp_pair.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/os/socket_pair.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/frame.h"

namespace drpc::manager {
namespace {

using Clock = std::chrono::steady_clock;

enum class Kind { kSocketPair, kTcp };

rt::os::TransportPair Connect(Kind kind) {
  if (kind == Kind::kTcp) return bench::TcpLoopbackPair();
  auto pair = rt::os::SocketPair();
  DRPC_ASSERT(pair.ok(), pair.status().ToString());
  return std::move(pair).value();
}

// Messages per stream per iteration: about 1 MiB per stream for big ones.
size_t MessagesPerIteration(size_t size) { return size >= 4096 ? 16 : 2048; }

struct Result {
  double msgs_per_s = 0;
  double allocs_per_msg = 0;
};
std::mutex g_results_mu;
std::map<std::string, Result> g_results;  // "<transport>/<size>/<streams>" per side

std::string Key(Kind kind, size_t size, int streams) {
  return std::string(kind == Kind::kSocketPair ? "socketpair" : "tcp") + "/" +
         (size >= 1024 ? std::to_string(size / 1024) + "KiB" : std::to_string(size) + "B") + "/" +
         std::to_string(streams);
}

// What the timed iterations of one benchmark moved.
struct Totals {
  uint64_t messages = 0;
  double seconds = 0;
  uint64_t allocations = 0;
};

// The timed iterations: each releases the senders waiting at `start` and
// lasts until `progress` (messages or bytes received) has grown by
// `progress_per_iteration`. Then the senders are released once more with
// `stop` set, to return.
Totals TimeIterations(benchmark::State& state, std::barrier<>& start, std::atomic<bool>& stop,
                      const std::atomic<uint64_t>& progress, uint64_t progress_per_iteration,
                      uint64_t messages_per_iteration) {
  Totals totals;
  uint64_t target = 0;
  for (auto _ : state) {
    target += progress_per_iteration;
    const bench::AllocationCounter allocations;
    const auto t0 = Clock::now();
    start.arrive_and_wait();
    while (progress.load(std::memory_order_relaxed) < target) std::this_thread::yield();
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    totals.allocations += allocations.count();
    state.SetIterationTime(elapsed);
    totals.seconds += elapsed;
    totals.messages += messages_per_iteration;
  }
  stop = true;
  start.arrive_and_wait();
  return totals;
}

void Record(benchmark::State& state, const std::string& key, const Totals& totals, size_t size) {
  state.SetItemsProcessed(static_cast<int64_t>(totals.messages));
  state.SetBytesProcessed(static_cast<int64_t>(totals.messages * size));
  std::lock_guard<std::mutex> guard(g_results_mu);
  g_results[key] =
      Result{static_cast<double>(totals.messages) / totals.seconds,
             static_cast<double>(totals.allocations) / static_cast<double>(totals.messages)};
}

void BM_Manager(benchmark::State& state, Kind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  const int streams = static_cast<int>(state.range(1));
  const size_t per_iteration = MessagesPerIteration(size);
  rt::os::TransportPair transports = Connect(kind);
  ManagerOptions client_options;
  client_options.role = Role::kClient;
  ManagerOptions server_options;
  server_options.role = Role::kServer;
  Manager client(std::move(transports.a), client_options);
  Manager server(std::move(transports.b), server_options);

  std::vector<std::shared_ptr<Stream>> senders, receivers;
  for (int s = 0; s < streams; ++s) {
    auto c = client.NewClientStream();
    DRPC_ASSERT(c.ok() && (*c)->WriteInvoke("/bench/Stream").ok(), "open");
    senders.push_back(*c);
    auto in = server.NewServerStream();
    DRPC_ASSERT(in.ok(), "accept");
    receivers.push_back(in->stream);
  }
  std::atomic<uint64_t> received{0};
  std::atomic<bool> stop{false};
  std::barrier start(streams + 1);
  std::vector<std::thread> threads;
  const std::string payload(size, 'x');
  for (int s = 0; s < streams; ++s) {
    threads.emplace_back([&, s] {
      std::string msg;
      while (receivers[s]->MsgRecv(msg, stream::BytesCodec{}).ok()) {
        received.fetch_add(1, std::memory_order_relaxed);
      }
    });
    threads.emplace_back([&, s] {
      for (;;) {
        start.arrive_and_wait();
        if (stop.load()) return;
        for (size_t m = 0; m < per_iteration; ++m) {
          DRPC_ASSERT(senders[s]->MsgSend(payload, stream::BytesCodec{}).ok(), "send");
        }
      }
    });
  }
  const uint64_t messages = per_iteration * static_cast<uint64_t>(streams);
  const Totals totals = TimeIterations(state, start, stop, received, messages, messages);
  for (auto& s : senders) (void)s->CloseSend();
  (void)client.Close();
  (void)server.Close();
  for (auto& t : threads) t.join();
  Record(state, "manager/" + Key(kind, size, streams), totals, size);
}

void BM_Raw(benchmark::State& state, Kind kind) {
  const size_t size = static_cast<size_t>(state.range(0));
  const int streams = static_cast<int>(state.range(1));
  const size_t per_iteration = MessagesPerIteration(size);
  rt::os::TransportPair transports = Connect(kind);
  // The bytes the manager would write for one message: its frame.
  const std::string payload(size, 'x');
  Buffer frame;
  wire::AppendFrame(frame, wire::Frame{1, 1, 2, true, false, AsBytes(payload)});
  std::atomic<uint64_t> bytes_read{0};
  std::thread reader([&] {
    std::vector<uint8_t> buffer(64 * 1024);
    for (;;) {
      ReadResult r = transports.b->Read(MutableBytes(buffer));
      bytes_read.fetch_add(r.n, std::memory_order_relaxed);
      if (!r.err.ok()) return;
    }
  });
  std::atomic<bool> stop{false};
  std::barrier start(streams + 1);
  std::vector<std::thread> writers;
  for (int s = 0; s < streams; ++s) {
    writers.emplace_back([&] {
      for (;;) {
        start.arrive_and_wait();
        if (stop.load()) return;
        for (size_t m = 0; m < per_iteration; ++m) {
          DRPC_ASSERT(transports.a->Write(frame.view()).ok(), "raw write");
        }
      }
    });
  }
  const uint64_t messages = per_iteration * static_cast<uint64_t>(streams);
  const Totals totals =
      TimeIterations(state, start, stop, bytes_read, messages * frame.size(), messages);
  for (auto& t : writers) t.join();
  (void)transports.a->Close();
  reader.join();
  Record(state, "raw/" + Key(kind, size, streams), totals, size);
}

void Args(benchmark::internal::Benchmark* b) {
  for (int64_t size : {64, 64 * 1024}) {
    for (int64_t streams : {1, 16}) b->Args({size, streams});
  }
  b->ArgNames({"bytes", "streams"})->UseManualTime()->Unit(benchmark::kMicrosecond);
  b->MinTime(0.3);
}

BENCHMARK_CAPTURE(BM_Raw, socketpair, Kind::kSocketPair)->Apply(Args);
BENCHMARK_CAPTURE(BM_Manager, socketpair, Kind::kSocketPair)->Apply(Args);
BENCHMARK_CAPTURE(BM_Raw, tcp, Kind::kTcp)->Apply(Args);
BENCHMARK_CAPTURE(BM_Manager, tcp, Kind::kTcp)->Apply(Args);

void PrintRatios() {
  std::lock_guard<std::mutex> guard(g_results_mu);
  std::printf("\n%-26s %14s %14s %10s %14s\n", "transport/size/streams", "manager msg/s",
              "raw msg/s", "mgr/raw", "allocs/msg");
  for (const auto& [key, manager] : g_results) {
    if (key.rfind("manager/", 0) != 0) continue;
    const std::string rest = key.substr(8);
    auto raw = g_results.find("raw/" + rest);
    if (raw == g_results.end()) continue;
    std::printf("%-26s %14.0f %14.0f %10.3f %14.2f\n", rest.c_str(), manager.msgs_per_s,
                raw->second.msgs_per_s, manager.msgs_per_s / raw->second.msgs_per_s,
                manager.allocs_per_msg);
  }
}

}  // namespace
}  // namespace drpc::manager

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  drpc::manager::PrintRatios();
  return 0;
}
