// The RPC surface over TCP loopback (OS backend): rpc::Conn calling an
// rpc::Server, against raw TCP baselines measured in the same run. Every
// ratio it prints is against a baseline of the same run: figures from
// another machine or another moment (Go's included) say nothing about this
// one; compare with Go by running its benchmark side by side.
//
//   Unary/<bytes>                 one Conn, sequential Invoke of a <bytes>
//                                 request echoed back (BytesCodec): p50 and
//                                 p99 latency, calls/s, allocations per call
//   UnaryConcurrent/<bytes>/16    16 threads calling on ONE Conn at once
//   Stream/<bytes>                one client stream sending messages to a
//                                 handler that receives them: msg/s, MB/s
//                                 (1 MB = 10^6 bytes, as Go reports),
//                                 allocations per message
// Baselines (raw rt::Transport over TCP, no drpc):
//   RawPingPong/<bytes>           write <bytes>, the peer echoes them; the
//                                 floor of a round trip on this machine
//   RawPingPongConcurrent/<bytes>/16  16 such pairs on 16 connections at once
//   RawStream/<bytes>             each message's frame bytes, one write per
//                                 message, one reader
//   RawStreamBulk/<bytes>         the same bytes in 256 KiB writes: the
//                                 loopback byte rate
// Costs per call or message, over the whole process (client and server
// ends), in steady state (after a warm-up): allocations (counting operator
// new), CPU time (user + system) and context switches (getrusage). CPU time
// and switches do not depend on how fast a sleeping thread is woken, which
// on a shared VM varies much more than the work itself. After the table the
// program prints a summary with ratios against the baselines, from the
// medians over repetitions. The machine is shared:
// run with repetitions (and --benchmark_enable_random_interleaving=true).
//
//   cmake --preset release -B build/interop-release
//   cmake --build build/interop-release --target bench_rpc
//   build/interop-release/bench/rpc/bench_rpc --benchmark_repetitions=7
//       --benchmark_min_time=0.3 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench/common/counting_allocator.h"
#include "bench/common/tcp_pair.h"
#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/task.h"
#include "drpc/wire/frame.h"

namespace drpc::bench {
namespace {

using Clock = std::chrono::steady_clock;
using StringStream = rpc::ClientStream<std::string, std::string, rpc::BytesCodec>;

constexpr char kEcho[] = "/bench.Bench/Echo";
constexpr char kSink[] = "/bench.Bench/Sink";
constexpr int kCallers = 16;
constexpr int kWarmupCalls = 200;

// ---- a server and a client over TCP loopback ---------------------------------

// Counts what the Sink handler received and wakes whoever waits for a total.
class ReceiveCounter {
 public:
  void Add() {
    const uint64_t n = received_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= target_.load(std::memory_order_relaxed)) {
      std::lock_guard<std::mutex> guard(mu_);
      reached_.notify_all();
    }
  }
  void WaitFor(uint64_t total) {
    target_.store(total);
    std::unique_lock<std::mutex> lock(mu_);
    reached_.wait(lock, [&] { return received_.load() >= total; });
  }
  uint64_t received() const { return received_.load(); }

 private:
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> target_{~uint64_t{0}};
  std::mutex mu_;
  std::condition_variable reached_;
};

class RpcOverTcp {
 public:
  explicit RpcOverTcp(rpc::ConnOptions conn_options = {}) : server_(mux_) {
    mux_.RegisterUnary<std::string, std::string>(
        kEcho, [](rpc::ServerCall&, const std::string& in, std::string& out) {
          out = in;
          return OkStatus();
        });
    mux_.Register(kSink, [this](rpc::ServerCall& call) {
      std::string msg;
      Status st;
      while ((st = call.stream().MsgRecv(msg, rpc::BytesCodec{})).ok()) counter_.Add();
      return st.is(ErrorKind::kEof) ? OkStatus() : st;
    });
    auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
    DRPC_ASSERT(listener.ok(), listener.status().ToString());
    listener_ = std::move(*listener);
    serving_ = rt::spawn("bench.serve", [this] { (void)server_.Serve(*listener_); });
    auto dialed = rt::os::TcpConnect("127.0.0.1", listener_->Port());
    DRPC_ASSERT(dialed.ok(), dialed.status().ToString());
    conn_.emplace(std::move(*dialed), std::move(conn_options));
  }
  ~RpcOverTcp() {
    (void)conn_->Close();
    server_.Stop(std::chrono::seconds(1));
    serving_.join();
  }

  rpc::Conn& conn() { return *conn_; }
  ReceiveCounter& counter() { return counter_; }

 private:
  rpc::Mux mux_;
  rpc::Server server_;
  ReceiveCounter counter_;
  std::unique_ptr<rt::os::TcpListener> listener_;
  rt::Task serving_;
  std::optional<rpc::Conn> conn_;
};

// Reads exactly buffer.size() bytes; false at EOF or on an error.
bool ReadFull(rt::Transport& t, MutableBytes buffer) {
  size_t got = 0;
  // Each round reads at least one byte or ends the loop.
  while (got < buffer.size()) {
    ReadResult r = t.Read(buffer.subspan(got));
    got += r.n;
    if (!r.err.ok()) return got == buffer.size();
  }
  return true;
}

// ---- latency samples ---------------------------------------------------------

double Percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return 0;
  const size_t k = std::min(samples.size() - 1, static_cast<size_t>(p * samples.size()));
  std::nth_element(samples.begin(), samples.begin() + static_cast<ptrdiff_t>(k), samples.end());
  return samples[k];
}

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// What the whole process (every thread, both ends) spent: allocations, CPU
// time (user + system) and context switches. CPU time and switches per call
// do not depend on how long a sleeping thread took to wake up, which on a
// shared virtual machine varies far more than the work does.
struct ProcessCost {
  uint64_t allocations = 0;
  double cpu_s = 0;
  int64_t context_switches = 0;

  static ProcessCost Now() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return ProcessCost{AllocationCount(), seconds(usage.ru_utime) + seconds(usage.ru_stime),
                       usage.ru_nvcsw + usage.ru_nivcsw};
  }
  ProcessCost operator-(const ProcessCost& start) const {
    return ProcessCost{allocations - start.allocations, cpu_s - start.cpu_s,
                       context_switches - start.context_switches};
  }
};

// Sets <what>_per_<op>: allocs, cpu_us and switches per operation.
void ReportCost(benchmark::State& state, const ProcessCost& spent, uint64_t ops, const char* op) {
  const double n = static_cast<double>(std::max<uint64_t>(ops, 1));
  const std::string per = std::string("_per_") + op;
  state.counters["allocs" + per] = static_cast<double>(spent.allocations) / n;
  state.counters["cpu_us" + per] = spent.cpu_s * 1e6 / n;
  state.counters["switches" + per] = static_cast<double>(spent.context_switches) / n;
}

// Sets the counters the summary reads: calls_per_s, p50_us, p99_us and the
// costs per call.
void ReportCalls(benchmark::State& state, std::vector<double>& latencies_us, uint64_t calls,
                 double seconds, const ProcessCost& spent) {
  state.counters["calls_per_s"] = static_cast<double>(calls) / seconds;
  state.counters["p50_us"] = Percentile(latencies_us, 0.50);
  state.counters["p99_us"] = Percentile(latencies_us, 0.99);
  ReportCost(state, spent, calls, "call");
  state.SetItemsProcessed(static_cast<int64_t>(calls));
}

// ---- unary -------------------------------------------------------------------

void BM_Unary(benchmark::State& state) {
  const std::string request(static_cast<size_t>(state.range(0)), 'x');
  RpcOverTcp rpc;
  std::string reply;
  for (int i = 0; i < kWarmupCalls; ++i) {
    DRPC_ASSERT(rpc.conn().Invoke(kEcho, request, reply).ok(), "warm-up call");
  }
  std::vector<double> latencies_us;
  latencies_us.reserve(static_cast<size_t>(state.max_iterations));
  const ProcessCost start = ProcessCost::Now();
  Clock::duration total{};
  for (auto _ : state) {
    const auto t0 = Clock::now();
    const Status st = rpc.conn().Invoke(kEcho, request, reply);
    const auto elapsed = Clock::now() - t0;
    DRPC_ASSERT(st.ok() && reply.size() == request.size(), st.ToString());
    total += elapsed;
    latencies_us.push_back(Micros(elapsed));
  }
  ReportCalls(state, latencies_us, static_cast<uint64_t>(state.iterations()),
              std::chrono::duration<double>(total).count(), ProcessCost::Now() - start);
}
BENCHMARK(BM_Unary)->ArgName("bytes")->Arg(8)->Arg(2048)->UseRealTime()->Unit(
    benchmark::kMicrosecond);

// Runs `calls_per_caller` calls on each of kCallers threads per iteration
// (`call` is one round trip for caller i) and reports the rate.
template <class CallFn>
void RunCallers(benchmark::State& state, int calls_per_caller, CallFn call) {
  std::barrier sync(kCallers + 1);
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(kCallers);
  for (auto& l : latencies) {
    l.reserve(static_cast<size_t>(state.max_iterations) * static_cast<size_t>(calls_per_caller));
  }
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&, i] {
      for (;;) {
        sync.arrive_and_wait();  // start of an iteration
        if (stop.load()) return;
        for (int c = 0; c < calls_per_caller; ++c) {
          const auto t0 = Clock::now();
          call(i);
          latencies[static_cast<size_t>(i)].push_back(Micros(Clock::now() - t0));
        }
        sync.arrive_and_wait();  // end of the iteration
      }
    });
  }
  const ProcessCost start = ProcessCost::Now();
  double seconds = 0;
  uint64_t calls = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    sync.arrive_and_wait();
    sync.arrive_and_wait();
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    calls += static_cast<uint64_t>(kCallers) * static_cast<uint64_t>(calls_per_caller);
  }
  const ProcessCost spent = ProcessCost::Now() - start;
  stop = true;
  sync.arrive_and_wait();
  for (auto& t : callers) t.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  ReportCalls(state, all, calls, seconds, spent);
}

void BM_UnaryConcurrent(benchmark::State& state) {
  const std::string request(static_cast<size_t>(state.range(0)), 'x');
  RpcOverTcp rpc;
  std::vector<std::string> replies(kCallers);
  for (int i = 0; i < kWarmupCalls; ++i) {
    DRPC_ASSERT(rpc.conn().Invoke(kEcho, request, replies[0]).ok(), "warm-up call");
  }
  RunCallers(state, 32, [&](int i) {
    std::string& reply = replies[static_cast<size_t>(i)];
    const Status st = rpc.conn().Invoke(kEcho, request, reply);
    DRPC_ASSERT(st.ok() && reply.size() == request.size(), st.ToString());
  });
}
BENCHMARK(BM_UnaryConcurrent)
    ->ArgNames({"bytes", "callers"})
    ->Args({8, kCallers})
    ->Args({2048, kCallers})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// The same callers on a Conn in legacy (one stream at a time) mode: what
// choosing the safe mode for servers that do not multiplex costs
// (docs/rpc.md, "Servers that do not multiplex").
void BM_UnaryConcurrentLegacy(benchmark::State& state) {
  const std::string request(static_cast<size_t>(state.range(0)), 'x');
  rpc::ConnOptions legacy;
  legacy.manager.legacy_single_stream = true;
  RpcOverTcp rpc(std::move(legacy));
  std::vector<std::string> replies(kCallers);
  RunCallers(state, 32, [&](int i) {
    std::string& reply = replies[static_cast<size_t>(i)];
    const Status st = rpc.conn().Invoke(kEcho, request, reply);
    DRPC_ASSERT(st.ok() && reply.size() == request.size(), st.ToString());
  });
}
BENCHMARK(BM_UnaryConcurrentLegacy)
    ->ArgNames({"bytes", "callers"})
    ->Args({8, kCallers})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// One echo thread per connection: reads `size` bytes, writes them back.
std::thread StartEcho(rt::Transport& server_end, size_t size) {
  return std::thread([&server_end, size] {
    std::vector<uint8_t> buffer(size);
    while (ReadFull(server_end, MutableBytes(buffer))) {
      if (!server_end.Write(Bytes(buffer)).ok()) return;
    }
  });
}

void BM_RawPingPong(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  auto [client, server] = bench::TcpLoopbackPair();
  std::thread echo = StartEcho(*server, size);
  std::vector<uint8_t> out(size, 'x'), in(size);
  std::vector<double> latencies_us;
  latencies_us.reserve(static_cast<size_t>(state.max_iterations));
  Clock::duration total{};
  const ProcessCost start = ProcessCost::Now();
  for (auto _ : state) {
    const auto t0 = Clock::now();
    DRPC_ASSERT(client->Write(Bytes(out)).ok(), "raw write");
    DRPC_ASSERT(ReadFull(*client, MutableBytes(in)), "raw read");
    const auto elapsed = Clock::now() - t0;
    total += elapsed;
    latencies_us.push_back(Micros(elapsed));
  }
  ReportCalls(state, latencies_us, static_cast<uint64_t>(state.iterations()),
              std::chrono::duration<double>(total).count(), ProcessCost::Now() - start);
  (void)client->Close();
  echo.join();
}
BENCHMARK(BM_RawPingPong)
    ->ArgName("bytes")
    ->Arg(8)
    ->Arg(2048)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_RawPingPongConcurrent(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<std::unique_ptr<rt::Transport>> clients, servers;
  std::vector<std::thread> echoes;
  for (int i = 0; i < kCallers; ++i) {
    auto [client, server] = bench::TcpLoopbackPair();
    clients.push_back(std::move(client));
    servers.push_back(std::move(server));
    echoes.push_back(StartEcho(*servers.back(), size));
  }
  std::vector<std::vector<uint8_t>> buffers(kCallers, std::vector<uint8_t>(size, 'x'));
  RunCallers(state, 32, [&](int i) {
    rt::Transport& client = *clients[static_cast<size_t>(i)];
    std::vector<uint8_t>& buffer = buffers[static_cast<size_t>(i)];
    DRPC_ASSERT(client.Write(Bytes(buffer)).ok(), "raw write");
    DRPC_ASSERT(ReadFull(client, MutableBytes(buffer)), "raw read");
  });
  for (auto& c : clients) (void)c->Close();
  for (auto& t : echoes) t.join();
}
BENCHMARK(BM_RawPingPongConcurrent)
    ->ArgNames({"bytes", "callers"})
    ->Args({8, kCallers})
    ->Args({2048, kCallers})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// ---- streaming ---------------------------------------------------------------

// Messages per iteration: about 1 MiB of payload for big messages.
uint64_t MessagesPerIteration(size_t size) { return size >= 4096 ? 16 : 2048; }

void ReportStream(benchmark::State& state, uint64_t messages, size_t size, double seconds,
                  const ProcessCost& spent) {
  state.counters["msgs_per_s"] = static_cast<double>(messages) / seconds;
  state.counters["MB_per_s"] = static_cast<double>(messages * size) / seconds / 1e6;
  ReportCost(state, spent, messages, "msg");
  state.SetItemsProcessed(static_cast<int64_t>(messages));
  state.SetBytesProcessed(static_cast<int64_t>(messages * size));
}

void BM_Stream(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const uint64_t per_iteration = MessagesPerIteration(size);
  RpcOverTcp rpc;
  Result<StringStream> stream = rpc.conn().NewStream<std::string, std::string>(kSink);
  DRPC_ASSERT(stream.ok(), stream.status().ToString());
  const std::string payload(size, 'x');
  uint64_t target = 0;
  for (uint64_t i = 0; i < per_iteration; ++i) DRPC_ASSERT(stream->Send(payload).ok(), "warm-up");
  rpc.counter().WaitFor(target += per_iteration);
  const ProcessCost start = ProcessCost::Now();
  double seconds = 0;
  uint64_t messages = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    for (uint64_t i = 0; i < per_iteration; ++i) {
      DRPC_ASSERT(stream->Send(payload).ok(), "stream send");
    }
    rpc.counter().WaitFor(target += per_iteration);
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    messages += per_iteration;
  }
  ReportStream(state, messages, size, seconds, ProcessCost::Now() - start);
  DRPC_ASSERT(stream->CloseSend().ok(), "close send");
}
BENCHMARK(BM_Stream)->ArgName("bytes")->Arg(64)->Arg(64 * 1024)->UseManualTime()->Unit(
    benchmark::kMicrosecond);

// A raw TCP stream of the bytes drpc would write for each message (its
// frame), in writes of `write_bytes` (0: one write per message).
void RawStream(benchmark::State& state, size_t write_bytes) {
  const size_t size = static_cast<size_t>(state.range(0));
  const uint64_t per_iteration = MessagesPerIteration(size);
  auto [client, server] = bench::TcpLoopbackPair();
  const std::string payload(size, 'x');
  Buffer frame;
  wire::AppendFrame(frame, wire::Frame{1, 1, 2, true, false, AsBytes(payload)});
  // Whole frames, about write_bytes of them, and no more than an iteration.
  const uint64_t frames_per_chunk =
      std::clamp<uint64_t>(write_bytes / frame.size(), 1, per_iteration);
  Buffer chunk;
  for (uint64_t i = 0; i < frames_per_chunk; ++i) chunk.Append(frame.view());
  std::atomic<uint64_t> bytes_read{0};
  std::mutex mu;
  std::condition_variable progressed;
  std::atomic<uint64_t> target{~uint64_t{0}};
  std::thread reader([&, server = server.get()] {
    std::vector<uint8_t> buffer(256 * 1024);
    for (;;) {
      ReadResult r = server->Read(MutableBytes(buffer));
      const uint64_t total = bytes_read.fetch_add(r.n) + r.n;
      if (total >= target.load()) {
        std::lock_guard<std::mutex> guard(mu);
        progressed.notify_all();
      }
      if (!r.err.ok()) return;
    }
  });
  const ProcessCost start = ProcessCost::Now();
  double seconds = 0;
  uint64_t messages = 0, written = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    uint64_t sent = 0;
    // Whole chunks, then single frames up to the iteration's count.
    for (; sent + frames_per_chunk <= per_iteration; sent += frames_per_chunk) {
      DRPC_ASSERT(client->Write(chunk.view()).ok(), "raw write");
    }
    for (; sent < per_iteration; ++sent) DRPC_ASSERT(client->Write(frame.view()).ok(), "raw write");
    written += per_iteration * frame.size();
    target.store(written);
    {
      std::unique_lock<std::mutex> lock(mu);
      progressed.wait(lock, [&] { return bytes_read.load() >= written; });
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    state.SetIterationTime(elapsed);
    seconds += elapsed;
    messages += per_iteration;
  }
  ReportStream(state, messages, size, seconds, ProcessCost::Now() - start);
  (void)client->Close();
  reader.join();
}

void BM_RawStream(benchmark::State& state) { RawStream(state, 0); }
void BM_RawStreamBulk(benchmark::State& state) { RawStream(state, 256 * 1024); }
BENCHMARK(BM_RawStream)
    ->ArgName("bytes")
    ->Arg(64)
    ->Arg(64 * 1024)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RawStreamBulk)
    ->ArgName("bytes")
    ->Arg(64)
    ->Arg(64 * 1024)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

// ---- summary -----------------------------------------------------------------

// Passes everything to the console and keeps each benchmark's counters per
// repetition (or the median rows, with --benchmark_report_aggregates_only);
// the summary uses their medians.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const std::string key = run.run_name.function_name + "/" + run.run_name.args;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type != Run::RT_Iteration && !median) continue;
      if (median) repetitions_[key] = static_cast<size_t>(run.repetitions);
      for (const auto& [name, counter] : run.counters) {
        (median ? medians_ : samples_)[key][name].push_back(counter.value);
      }
    }
  }

  // The median of `counter` over the repetitions of `key`; 0 if absent.
  double Median(const std::string& key, const std::string& counter) const {
    if (const std::vector<double>* m = Find(medians_, key, counter)) return m->front();
    const std::vector<double>* values = Find(samples_, key, counter);
    if (values == nullptr) return 0;
    std::vector<double> v = *values;
    std::sort(v.begin(), v.end());
    return v.size() % 2 == 1 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  }
  size_t Repetitions(const std::string& key) const {
    if (auto it = repetitions_.find(key); it != repetitions_.end()) return it->second;
    auto bench = samples_.find(key);
    if (bench == samples_.end() || bench->second.empty()) return 0;
    return bench->second.begin()->second.size();
  }

 private:
  using Table = std::map<std::string, std::map<std::string, std::vector<double>>>;
  static const std::vector<double>* Find(const Table& table, const std::string& key,
                                         const std::string& counter) {
    auto bench = table.find(key);
    if (bench == table.end()) return nullptr;
    auto values = bench->second.find(counter);
    if (values == bench->second.end() || values->second.empty()) return nullptr;
    return &values->second;
  }

  Table samples_;  // per repetition
  Table medians_;  // the median rows of --benchmark_report_aggregates_only
  std::map<std::string, size_t> repetitions_;
};

double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

void PrintSummary(const SummaryReporter& r) {
  std::printf(
      "\nSummary (medians over repetitions; every ratio is against a baseline of this run)\n");
  std::printf("%-24s %4s %9s %7s %7s %7s %9s %7s %7s %8s %9s %6s\n", "case", "reps", "calls/s",
              "p50 us", "p99 us", "raw p50", "raw /s", "vs raw", "cpu us", "raw cpu", "switches",
              "allocs");
  struct UnaryRow {
    const char* label;
    std::string key;
    std::string raw;
  };
  const UnaryRow unary[] = {
      {"unary 8 B", "BM_Unary/bytes:8", "BM_RawPingPong/bytes:8"},
      {"unary 2 KiB", "BM_Unary/bytes:2048", "BM_RawPingPong/bytes:2048"},
      {"unary 8 B, 16 callers", "BM_UnaryConcurrent/bytes:8/callers:16",
       "BM_RawPingPongConcurrent/bytes:8/callers:16"},
      {"unary 2 KiB, 16 callers", "BM_UnaryConcurrent/bytes:2048/callers:16",
       "BM_RawPingPongConcurrent/bytes:2048/callers:16"},
  };
  for (const UnaryRow& row : unary) {
    const double rate = r.Median(row.key, "calls_per_s");
    const double raw = r.Median(row.raw, "calls_per_s");
    std::printf("%-24s %4zu %9.0f %7.1f %7.1f %7.1f %9.0f %6.2fx %7.1f %8.1f %4.1f/%-4.1f %6.1f\n",
                row.label, r.Repetitions(row.key), rate, r.Median(row.key, "p50_us"),
                r.Median(row.key, "p99_us"), r.Median(row.raw, "p50_us"), raw, Ratio(rate, raw),
                r.Median(row.key, "cpu_us_per_call"), r.Median(row.raw, "cpu_us_per_call"),
                r.Median(row.key, "switches_per_call"), r.Median(row.raw, "switches_per_call"),
                r.Median(row.key, "allocs_per_call"));
  }
  std::printf(
      "  cpu us: process CPU time (user + system, both ends) per call; raw cpu: the same for the "
      "raw baseline;\n  switches: context switches per call, drpc/raw; allocs: per call, both "
      "ends.\n");
  std::printf(
      "  raw p50: the raw ping-pong's p50 us; vs raw: calls/s over the raw ping-pong's round "
      "trips/s.\n");

  std::printf("\n%-24s %4s %9s %8s %9s %7s %9s %7s %7s %8s %6s\n", "case", "reps", "msg/s", "MB/s",
              "raw msg/s", "vs raw", "bulk MB/s", "vs bulk", "cpu us", "switches", "allocs");
  struct StreamRow {
    const char* label;
    int bytes;
  };
  const StreamRow streams[] = {{"stream 64 B", 64}, {"stream 64 KiB", 65536}};
  for (const StreamRow& row : streams) {
    const std::string arg = "/bytes:" + std::to_string(row.bytes);
    const std::string key = "BM_Stream" + arg;
    const double msgs = r.Median(key, "msgs_per_s");
    const double mb = r.Median(key, "MB_per_s");
    const double raw = r.Median("BM_RawStream" + arg, "msgs_per_s");
    const double bulk = r.Median("BM_RawStreamBulk" + arg, "MB_per_s");
    std::printf("%-24s %4zu %9.0f %8.1f %9.0f %6.2fx %9.1f %6.2fx %7.2f %8.3f %6.2f\n", row.label,
                r.Repetitions(key), msgs, mb, raw, Ratio(msgs, raw), bulk, Ratio(mb, bulk),
                r.Median(key, "cpu_us_per_msg"), r.Median(key, "switches_per_msg"),
                r.Median(key, "allocs_per_msg"));
  }
  std::printf(
      "  raw: one write per message's frame; bulk: the same bytes in 256 KiB writes (the loopback "
      "ceiling).\n");
}

}  // namespace
}  // namespace drpc::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  drpc::bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  drpc::bench::PrintSummary(reporter);
  return 0;
}
