// The RPC surface over TCP loopback (OS backend): rpc::Conn calling an
// rpc::Server, against raw TCP baselines measured in the same run. Built
// once per OS backend (bench_rpc: the `_os` libraries; bench_rpc_threads:
// the thread backend's `_threads` variants, when built), so
// scripts/bench-backends compares the two in one run. Every
// ratio it prints is against a baseline of the same run: figures from
// another machine or another moment (Go's included) say nothing about this
// one; compare with Go by running its benchmark side by side.
//
//   Unary/<bytes>                 one Conn, sequential Invoke of a <bytes>
//                                 request echoed back (BytesCodec): p50 and
//                                 p99 latency, calls/s, allocations per call
//   UnaryConcurrent/<bytes>/16    16 callers (rt tasks) calling on ONE Conn
//                                 at once
//   Stream/<bytes>                one client stream sending messages to a
//                                 handler that receives them: msg/s, MB/s
//                                 (1 MB = 10^6 bytes, as Go reports),
//                                 allocations per message
// Every drpc caller is an rt task (a thread on the thread backend, a fiber
// on the fiber backend): what a handler calling another service is.
// Baselines (blocking POSIX sockets over TCP, no drpc and no rt):
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
// on a shared VM varies much more than the work itself. Threads: the
// process's threads during the load (/proc/self/task), as `threads_added`:
// beyond the runtime's fixed set (counted at start, after the runtime ran
// tasks) and the benchmark's own helper threads. On the thread backend that
// includes finished tasks' threads it keeps idle for reuse (2 s), as they
// exist during the load. After the table the
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
#include "bench/common/process_stats.h"
#include "bench/common/raw_tcp.h"
#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/net.h"
#include "drpc/rt/signal.h"
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
// rt primitives: the waiter is an rt task, which on the fiber backend must
// park rather than block its worker thread.
class ReceiveCounter {
 public:
  void Add() {
    const uint64_t n = received_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (n >= target_.load(std::memory_order_relaxed)) {
      rt::LockGuard guard(mu_);
      reached_.notify_all();
    }
  }
  void WaitFor(uint64_t total) {
    target_.store(total);
    rt::Lock lock(mu_);
    reached_.wait(
        lock, [&] { return received_.load() >= total; }, "bench: wait for the sink");
  }
  uint64_t received() const { return received_.load(); }

 private:
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> target_{~uint64_t{0}};
  rt::Mutex mu_{"bench.counter"};
  rt::CondVar reached_{"bench.counter.reached"};
};

// A reusable barrier of rt tasks (std::barrier would block a fiber's
// worker thread).
class TaskBarrier {
 public:
  explicit TaskBarrier(int parties) : parties_(parties) {}
  void ArriveAndWait() {
    rt::Lock lock(mu_);
    const uint64_t generation = generation_;
    if (++arrived_ == parties_) {
      arrived_ = 0;
      ++generation_;
      all_arrived_.notify_all();
      return;
    }
    all_arrived_.wait(
        lock, [&] { return generation_ != generation; }, "bench: barrier");
  }

 private:
  const int parties_;
  rt::Mutex mu_{"bench.barrier"};
  rt::CondVar all_arrived_{"bench.barrier.all"};
  int arrived_ = 0;
  uint64_t generation_ = 0;
};

// Runs `body` on a new rt task and waits for it: the drpc side of every
// benchmark calls from a task of the runtime.
template <class Body>
void OnTask(Body body) {
  rt::Task task = rt::spawn("bench.caller", [&body] { body(); });
  task.join();
}

// ---- threads -----------------------------------------------------------------

// The runtime's fixed threads (workers, reactor: nothing on the thread
// backend) plus main, counted once at start after the runtime ran tasks.
int g_fixed_threads = 0;
// Whether rt tasks are OS threads here (the thread backend) or not.
bool g_tasks_are_threads = false;

// Starts 64 tasks that all wait at once: on the thread backend each is a
// thread, on the fiber backend they share the fixed workers.
void ProbeRuntime() {
  constexpr int kProbeTasks = 64;
  const int before = CountThreads();
  rt::Signal release("bench.probe");
  std::atomic<int> started{0};
  std::vector<rt::Task> tasks;
  for (int i = 0; i < kProbeTasks; ++i) {
    tasks.push_back(rt::spawn("bench.probe", [&] {
      started.fetch_add(1);
      release.wait("bench: probe task waits");
    }));
  }
  // A bounded poll for the tasks to be running (not a timing assumption).
  for (int i = 0; i < 10000 && started.load() < kProbeTasks; ++i) rt::yield();
  const int during = CountThreads();
  (void)release.set(OkStatus());
  for (rt::Task& t : tasks) t.join();
  g_tasks_are_threads = during - before >= kProbeTasks;
  // The thread backend keeps finished tasks' threads idle for a while
  // (src/drpc/rt/os/task.cc): they are not a fixed set. A bounded wait for
  // them to exit; the fiber backend's workers stay.
  for (int i = 0; g_tasks_are_threads && i < 500 && CountThreads() > before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  g_fixed_threads = CountThreads();
}

// The largest thread count seen during one benchmark.
class ThreadPeak {
 public:
  void Sample() { peak_ = std::max(peak_.load(), CountThreads()); }
  // Sets `threads_added`: the peak beyond the fixed set and `own` helper
  // threads of the benchmark itself (raw echo threads).
  void Report(benchmark::State& state, int own = 0) const {
    state.counters["threads_added"] = std::max(0, peak_.load() - g_fixed_threads - own);
  }

 private:
  std::atomic<int> peak_{0};
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
    // rt::Listen takes an address: a port free a moment ago (another
    // process may take it in between: a few tries).
    std::string address;
    for (int attempt = 0; attempt < 8 && listener_ == nullptr; ++attempt) {
      address = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
      auto listener = rt::Listen(address);
      if (listener.ok()) listener_ = std::move(*listener);
    }
    DRPC_ASSERT(listener_ != nullptr, "no free loopback port to listen on");
    serving_ = rt::spawn("bench.serve", [this] { (void)server_.Serve(*listener_); });
    auto dialed = rt::Connect(address);
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
  std::unique_ptr<rt::Listener> listener_;
  rt::Task serving_;
  std::optional<rpc::Conn> conn_;
};

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
  ThreadPeak threads;
  OnTask([&] {
    std::string reply;
    for (int i = 0; i < kWarmupCalls; ++i) {
      DRPC_ASSERT(rpc.conn().Invoke(kEcho, request, reply).ok(), "warm-up call");
    }
    std::vector<double> latencies_us;
    latencies_us.reserve(static_cast<size_t>(state.max_iterations));
    const ProcessCost start = ProcessCost::Now();
    Clock::duration total{};
    uint64_t n = 0;
    for (auto _ : state) {
      const auto t0 = Clock::now();
      const Status st = rpc.conn().Invoke(kEcho, request, reply);
      const auto elapsed = Clock::now() - t0;
      DRPC_ASSERT(st.ok() && reply.size() == request.size(), st.ToString());
      total += elapsed;
      latencies_us.push_back(Micros(elapsed));
      if (++n % 256 == 1) threads.Sample();  // outside the timed call
    }
    const ProcessCost spent = ProcessCost::Now() - start;
    threads.Sample();
    ReportCalls(state, latencies_us, static_cast<uint64_t>(state.iterations()),
                std::chrono::duration<double>(total).count(), spent);
  });
  threads.Report(state);
}
BENCHMARK(BM_Unary)->ArgName("bytes")->Arg(8)->Arg(2048)->UseRealTime()->Unit(
    benchmark::kMicrosecond);

// Runs `calls_per_caller` calls on each of kCallers callers per iteration
// (`call` is one round trip for caller i) and reports the rate. A caller is
// an rt task (`rt_callers`) or a plain thread (the raw baseline, which
// blocks in the kernel and must not hold a fiber backend's worker).
template <class CallFn>
void RunCallers(benchmark::State& state, int calls_per_caller, bool rt_callers, CallFn call) {
  TaskBarrier task_sync(kCallers + 1);
  std::barrier thread_sync(kCallers + 1);
  auto sync = [&] { rt_callers ? task_sync.ArriveAndWait() : thread_sync.arrive_and_wait(); };
  std::atomic<bool> stop{false};
  ThreadPeak threads;
  std::vector<std::vector<double>> latencies(kCallers);
  for (auto& l : latencies) {
    l.reserve(static_cast<size_t>(state.max_iterations) * static_cast<size_t>(calls_per_caller));
  }
  auto caller = [&](int i) {
    for (;;) {
      sync();  // start of an iteration
      if (stop.load()) return;
      for (int c = 0; c < calls_per_caller; ++c) {
        const auto t0 = Clock::now();
        call(i);
        latencies[static_cast<size_t>(i)].push_back(Micros(Clock::now() - t0));
        // Mid-iteration, when every caller has a call in flight.
        if (i == 0 && c == calls_per_caller / 2) threads.Sample();
      }
      sync();  // end of the iteration
    }
  };
  std::vector<rt::Task> tasks;
  std::vector<std::thread> plain;
  for (int i = 0; i < kCallers; ++i) {
    if (rt_callers) {
      tasks.push_back(rt::spawn("bench.caller", [&caller, i] { caller(i); }));
    } else {
      plain.emplace_back([&caller, i] { caller(i); });
    }
  }
  // The driver waits in the barrier too: on the fiber backend it must be a
  // task as well.
  auto drive = [&] {
    const ProcessCost start = ProcessCost::Now();
    double seconds = 0;
    uint64_t calls = 0;
    for (auto _ : state) {
      const auto t0 = Clock::now();
      sync();
      sync();
      const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      state.SetIterationTime(elapsed);
      seconds += elapsed;
      calls += static_cast<uint64_t>(kCallers) * static_cast<uint64_t>(calls_per_caller);
    }
    const ProcessCost spent = ProcessCost::Now() - start;
    stop = true;
    sync();
    std::vector<double> all;
    for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    ReportCalls(state, all, calls, seconds, spent);
  };
  if (rt_callers) {
    OnTask(drive);
  } else {
    drive();
  }
  for (auto& t : tasks) t.join();
  for (auto& t : plain) t.join();
  // Plain caller threads are the benchmark's own; rt callers are the
  // runtime's tasks (threads on the thread backend: they count).
  threads.Report(state, rt_callers ? 0 : kCallers);
}

void BM_UnaryConcurrent(benchmark::State& state) {
  const std::string request(static_cast<size_t>(state.range(0)), 'x');
  RpcOverTcp rpc;
  std::vector<std::string> replies(kCallers);
  OnTask([&] {
    for (int i = 0; i < kWarmupCalls; ++i) {
      DRPC_ASSERT(rpc.conn().Invoke(kEcho, request, replies[0]).ok(), "warm-up call");
    }
  });
  RunCallers(state, 32, /*rt_callers=*/true, [&](int i) {
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
  RunCallers(state, 32, /*rt_callers=*/true, [&](int i) {
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
std::thread StartEcho(RawSocket& server_end, size_t size) {
  return std::thread([&server_end, size] {
    std::vector<uint8_t> buffer(size);
    while (server_end.ReadFull(buffer.data(), size)) {
      if (!server_end.WriteAll(buffer.data(), size)) return;
    }
  });
}

// The baseline of issue 14: a blocking ping-pong of a unary call's bytes
// (the request's size; drpc adds its frames) on two plain threads.
void BM_RawPingPong(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  RawPair pair = RawTcpPair();
  std::thread echo = StartEcho(pair.server, size);
  ThreadPeak threads;
  std::vector<uint8_t> out(size, 'x'), in(size);
  std::vector<double> latencies_us;
  latencies_us.reserve(static_cast<size_t>(state.max_iterations));
  Clock::duration total{};
  const ProcessCost start = ProcessCost::Now();
  for (auto _ : state) {
    const auto t0 = Clock::now();
    DRPC_ASSERT(pair.client.WriteAll(out.data(), size), "raw write");
    DRPC_ASSERT(pair.client.ReadFull(in.data(), size), "raw read");
    const auto elapsed = Clock::now() - t0;
    total += elapsed;
    latencies_us.push_back(Micros(elapsed));
  }
  const ProcessCost spent = ProcessCost::Now() - start;
  threads.Sample();
  ReportCalls(state, latencies_us, static_cast<uint64_t>(state.iterations()),
              std::chrono::duration<double>(total).count(), spent);
  pair.client.ShutdownWrite();
  echo.join();
  threads.Report(state, /*own=*/1);
}
BENCHMARK(BM_RawPingPong)
    ->ArgName("bytes")
    ->Arg(8)
    ->Arg(2048)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void BM_RawPingPongConcurrent(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<RawPair> pairs;
  std::vector<std::thread> echoes;
  pairs.reserve(kCallers);  // StartEcho keeps a reference to each server end
  for (int i = 0; i < kCallers; ++i) {
    pairs.push_back(RawTcpPair());
    echoes.push_back(StartEcho(pairs.back().server, size));
  }
  std::vector<std::vector<uint8_t>> buffers(kCallers, std::vector<uint8_t>(size, 'x'));
  RunCallers(state, 32, /*rt_callers=*/false, [&](int i) {
    RawSocket& client = pairs[static_cast<size_t>(i)].client;
    std::vector<uint8_t>& buffer = buffers[static_cast<size_t>(i)];
    DRPC_ASSERT(client.WriteAll(buffer.data(), size), "raw write");
    DRPC_ASSERT(client.ReadFull(buffer.data(), size), "raw read");
  });
  for (auto& p : pairs) p.client.ShutdownWrite();
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
  ThreadPeak threads;
  OnTask([&] {
    Result<StringStream> stream = rpc.conn().NewStream<std::string, std::string>(kSink);
    DRPC_ASSERT(stream.ok(), stream.status().ToString());
    const std::string payload(size, 'x');
    uint64_t target = 0;
    for (uint64_t i = 0; i < per_iteration; ++i) {
      DRPC_ASSERT(stream->Send(payload).ok(), "warm-up");
    }
    rpc.counter().WaitFor(target += per_iteration);
    const ProcessCost start = ProcessCost::Now();
    double seconds = 0;
    uint64_t messages = 0;
    for (auto _ : state) {
      const auto t0 = Clock::now();
      for (uint64_t i = 0; i < per_iteration; ++i) {
        DRPC_ASSERT(stream->Send(payload).ok(), "stream send");
      }
      threads.Sample();  // the handler is receiving what was sent
      rpc.counter().WaitFor(target += per_iteration);
      const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
      state.SetIterationTime(elapsed);
      seconds += elapsed;
      messages += per_iteration;
    }
    ReportStream(state, messages, size, seconds, ProcessCost::Now() - start);
    DRPC_ASSERT(stream->CloseSend().ok(), "close send");
  });
  threads.Report(state);
}
// The message sizes of every streaming benchmark: small, one frame of the
// split size, and 1 MiB (a message over the split size: 16 frames).
void StreamSizes(benchmark::internal::Benchmark* b) {
  b->ArgName("bytes")->Arg(64)->Arg(64 * 1024)->Arg(1 << 20);
  b->UseManualTime()->Unit(benchmark::kMicrosecond);
}
BENCHMARK(BM_Stream)->Apply(StreamSizes);

// A raw TCP stream of the bytes drpc would write for each message (its
// frame), in writes of `write_bytes` (0: one write per message).
void RawStream(benchmark::State& state, size_t write_bytes) {
  const size_t size = static_cast<size_t>(state.range(0));
  const uint64_t per_iteration = MessagesPerIteration(size);
  RawPair pair = RawTcpPair();
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
  std::thread reader([&, server = &pair.server] {
    std::vector<uint8_t> buffer(256 * 1024);
    for (;;) {
      const long n = server->ReadSome(buffer.data(), buffer.size());
      const uint64_t total = bytes_read.fetch_add(n > 0 ? n : 0) + (n > 0 ? n : 0);
      if (total >= target.load() || n <= 0) {
        std::lock_guard<std::mutex> guard(mu);
        progressed.notify_all();
      }
      if (n <= 0) return;
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
      DRPC_ASSERT(pair.client.WriteAll(chunk.view().data(), chunk.size()), "raw write");
    }
    for (; sent < per_iteration; ++sent) {
      DRPC_ASSERT(pair.client.WriteAll(frame.view().data(), frame.size()), "raw write");
    }
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
  pair.client.ShutdownWrite();
  reader.join();
}

void BM_RawStream(benchmark::State& state) { RawStream(state, 0); }
void BM_RawStreamBulk(benchmark::State& state) { RawStream(state, 256 * 1024); }
BENCHMARK(BM_RawStream)->Apply(StreamSizes);
BENCHMARK(BM_RawStreamBulk)->Apply(StreamSizes);

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
  std::printf("%-24s %4s %9s %7s %7s %7s %9s %7s %7s %8s %9s %6s %7s\n", "case", "reps", "calls/s",
              "p50 us", "p99 us", "raw p50", "raw /s", "vs raw", "cpu us", "raw cpu", "switches",
              "allocs", "threads");
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
    std::printf(
        "%-24s %4zu %9.0f %7.1f %7.1f %7.1f %9.0f %6.2fx %7.1f %8.1f %4.1f/%-4.1f %6.1f %7.0f\n",
        row.label, r.Repetitions(row.key), rate, r.Median(row.key, "p50_us"),
        r.Median(row.key, "p99_us"), r.Median(row.raw, "p50_us"), raw, Ratio(rate, raw),
        r.Median(row.key, "cpu_us_per_call"), r.Median(row.raw, "cpu_us_per_call"),
        r.Median(row.key, "switches_per_call"), r.Median(row.raw, "switches_per_call"),
        r.Median(row.key, "allocs_per_call"), r.Median(row.key, "threads_added"));
  }
  std::printf(
      "  cpu us: process CPU time (user + system, both ends) per call; raw cpu: the same for the "
      "raw baseline;\n  switches: context switches per call, drpc/raw; allocs: per call, both "
      "ends.\n");
  std::printf(
      "  raw p50: the raw ping-pong's p50 us; vs raw: calls/s over the raw ping-pong's round "
      "trips/s;\n  threads: the process's threads during the load beyond the runtime's fixed "
      "set (%d, main included).\n",
      g_fixed_threads);

  std::printf("\n%-24s %4s %9s %8s %9s %7s %9s %7s %7s %8s %6s %7s\n", "case", "reps", "msg/s",
              "MB/s", "raw msg/s", "vs raw", "bulk MB/s", "vs bulk", "cpu us", "switches", "allocs",
              "threads");
  struct StreamRow {
    const char* label;
    int bytes;
  };
  const StreamRow streams[] = {
      {"stream 64 B", 64}, {"stream 64 KiB", 65536}, {"stream 1 MiB", 1 << 20}};
  for (const StreamRow& row : streams) {
    const std::string arg = "/bytes:" + std::to_string(row.bytes);
    const std::string key = "BM_Stream" + arg;
    const double msgs = r.Median(key, "msgs_per_s");
    const double mb = r.Median(key, "MB_per_s");
    const double raw = r.Median("BM_RawStream" + arg, "msgs_per_s");
    const double bulk = r.Median("BM_RawStreamBulk" + arg, "MB_per_s");
    std::printf("%-24s %4zu %9.0f %8.1f %9.0f %6.2fx %9.1f %6.2fx %7.2f %8.3f %6.2f %7.0f\n",
                row.label, r.Repetitions(key), msgs, mb, raw, Ratio(msgs, raw), bulk,
                Ratio(mb, bulk), r.Median(key, "cpu_us_per_msg"), r.Median(key, "switches_per_msg"),
                r.Median(key, "allocs_per_msg"), r.Median(key, "threads_added"));
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
  drpc::bench::ProbeRuntime();
  // Read by scripts/bench-backends from the JSON output (--benchmark_out).
  benchmark::AddCustomContext("rt_tasks", drpc::bench::g_tasks_are_threads ? "threads" : "fibers");
  benchmark::AddCustomContext("rt_fixed_threads", std::to_string(drpc::bench::g_fixed_threads));
  std::printf("rt tasks are %s; fixed threads at start: %d\n",
              drpc::bench::g_tasks_are_threads ? "OS threads" : "fibers",
              drpc::bench::g_fixed_threads);
  drpc::bench::SummaryReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  drpc::bench::PrintSummary(reporter);
  return 0;
}
