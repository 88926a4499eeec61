// The RPC surface over TCP loopback with the server in a process of its
// own, so the CPU each end spends per message is measured apart (bench_rpc
// runs both ends in one process and can only give their sum). The program
// starts a copy of itself as the server (`--serve PORT`), connects, and
// runs (BENCH_SPLIT_SERVER=<path> serves from another build of it):
//
//   ServerStreams/<bytes>  the server streams messages of <bytes> to the
//                          client (issue 15's "server CPU per message it
//                          streams")
//   ClientStreams/<bytes>  the client streams to the server
//   RawServerStreams/<bytes>, RawClientStreams/<bytes>
//                          the same bytes, written in chunks of <bytes>
//                          and read as they come, over a plain blocking
//                          socket between the same two processes, no
//                          library: what the kernel's loopback costs each
//                          end, the floor under the others' CPU
//
// Counters, per message: server_cpu_us (measured in the server process by
// the handler, getrusage around the whole call), client_cpu_us (this
// process), msgs_per_s. Only the library's public surface is used (Conn,
// Server, Mux, streams), so the file also builds in older trees for a
// before/after run (bench/rpc/compare_split.sh). Build with the release
// preset.
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/task.h"
#if __has_include("drpc/rt/net.h")
#include "drpc/rt/net.h"
#define DRPC_SPLIT_HAS_NET 1
#else
#include "drpc/rt/os/tcp.h"
#endif

extern char** environ;

namespace drpc {
namespace {

constexpr char kEmit[] = "/bench.Split/Emit";
constexpr char kSink[] = "/bench.Split/Sink";

// CPU seconds this process has spent so far, every thread.
double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string CpuReply(double start) { return std::to_string(ProcessCpuSeconds() - start); }

// ---- the server process --------------------------------------------------------

Result<std::unique_ptr<rt::Listener>> ListenOn(uint16_t port) {
#ifdef DRPC_SPLIT_HAS_NET
  return rt::Listen("127.0.0.1:" + std::to_string(port));
#else
  auto listener = rt::os::TcpListener::Listen("127.0.0.1", port);
  if (!listener.ok()) return listener.status();
  return std::unique_ptr<rt::Listener>(std::move(*listener));
#endif
}

// Emit: the request is "<count> <bytes>"; the reply is <count> messages of
// <bytes>, then one with the server's CPU seconds for the call.
// Sink: counts what the client streams until it closes its side, then
// replies with the server's CPU seconds for the call.
// The raw baseline's server: one connection at a time, each a sequence of
// requests {direction, count, bytes} (three uint64_t). Direction 0: writes
// count chunks of `bytes`; 1: reads count * bytes. Either way it then
// writes its CPU seconds for the request (a double).
// `op` (read or write) until all `size` bytes are moved; false at the end
// of the stream or an error.
template <class Byte, class Op>
bool MoveAll(Op op, int fd, Byte* p, size_t size) {
  while (size > 0) {
    const ssize_t n = op(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool ReadAll(int fd, void* data, size_t size) {
  return MoveAll(::read, fd, static_cast<uint8_t*>(data), size);
}

bool WriteAll(int fd, const void* data, size_t size) {
  return MoveAll(::write, fd, static_cast<const uint8_t*>(data), size);
}

// Reads and drops `total` bytes, as much as has arrived per call (up to
// `scratch`'s size), as a receiver that does not care where messages end.
bool Drain(int fd, uint64_t total, std::vector<uint8_t>& scratch) {
  while (total > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(total, scratch.size()));
    const ssize_t n = read(fd, scratch.data(), want);
    if (n <= 0) return false;
    total -= static_cast<uint64_t>(n);
  }
  return true;
}

constexpr size_t kRawScratchBytes = 256 * 1024;

void ServeRawConnection(int fd) {
  std::vector<uint8_t> chunk;
  std::vector<uint8_t> scratch(kRawScratchBytes);
  for (;;) {
    uint64_t request[3];
    if (!ReadAll(fd, request, sizeof request)) break;
    const double start = ProcessCpuSeconds();
    chunk.assign(request[2], 'x');
    bool ok = true;
    if (request[0] == 0) {
      for (uint64_t i = 0; i < request[1] && ok; ++i) ok = WriteAll(fd, chunk.data(), chunk.size());
    } else {
      ok = Drain(fd, request[1] * request[2], scratch);
    }
    const double cpu = ProcessCpuSeconds() - start;
    if (!ok || !WriteAll(fd, &cpu, sizeof cpu)) break;
  }
  close(fd);
}

int ListenRaw(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int Serve(uint16_t port, uint16_t raw_port) {
  // The raw baseline on a thread of its own (0: not asked for).
  std::thread raw;
  if (raw_port != 0) {
    const int listener = ListenRaw(raw_port);
    if (listener < 0) {
      std::fprintf(stderr, "server: cannot listen on raw port %u\n", raw_port);
      return 1;
    }
    raw = std::thread([listener] {
      for (;;) {
        const int fd = accept(listener, nullptr, nullptr);
        if (fd < 0) return;
        ServeRawConnection(fd);
      }
    });
    raw.detach();  // until the client kills this process
  }
  rpc::Mux mux;
  mux.Register(kEmit, [](rpc::ServerCall& call) {
    const double start = ProcessCpuSeconds();
    std::string request;
    Status st = call.stream().MsgRecv(request, rpc::BytesCodec{});
    if (!st.ok()) return st;
    unsigned long long count = 0, bytes = 0;
    if (std::sscanf(request.c_str(), "%llu %llu", &count, &bytes) != 2) {
      return InvalidArgumentError("want \"<count> <bytes>\"");
    }
    const std::string payload(bytes, 'x');
    for (unsigned long long i = 0; i < count && st.ok(); ++i) {
      st = call.stream().MsgSend(payload, rpc::BytesCodec{});
    }
    return st.ok() ? call.stream().MsgSend(CpuReply(start), rpc::BytesCodec{}) : st;
  });
  mux.Register(kSink, [](rpc::ServerCall& call) {
    const double start = ProcessCpuSeconds();
    std::string msg;
    Status st;
    while ((st = call.stream().MsgRecv(msg, rpc::BytesCodec{})).ok()) {
    }
    if (!st.is(ErrorKind::kEof)) return st;
    return call.stream().MsgSend(CpuReply(start), rpc::BytesCodec{});
  });
  rpc::Server server(mux);
  auto listener = ListenOn(port);
  if (!listener.ok()) {
    std::fprintf(stderr, "server: %s\n", listener.status().ToString().c_str());
    return 1;
  }
  rt::Task serving = rt::spawn("split.serve", [&] { (void)server.Serve(**listener); });
  serving.join();  // until the client kills this process
  return 0;
}

// ---- the client process --------------------------------------------------------

uint16_t FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  DRPC_ASSERT(fd >= 0, "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  DRPC_ASSERT(bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0, "bind");
  DRPC_ASSERT(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0, "getsockname");
  close(fd);
  return ntohs(addr.sin_port);
}

Result<std::unique_ptr<rt::Transport>> ConnectTo(uint16_t port) {
#ifdef DRPC_SPLIT_HAS_NET
  return rt::Connect("127.0.0.1:" + std::to_string(port));
#else
  return rt::os::TcpConnect("127.0.0.1", port);
#endif
}

// The server process and one connection to it, for the whole run.
class SplitServer {
 public:
  SplitServer() {
    const uint16_t port = FreeLoopbackPort();
    raw_port_ = FreeLoopbackPort();
    const std::string port_arg = std::to_string(port);
    // In the environment, not the arguments, so that a server built from
    // an older copy of this file (which takes `--serve PORT` only) still
    // starts, and the raw baseline is skipped.
    setenv("BENCH_SPLIT_RAW_PORT", std::to_string(raw_port_).c_str(), 1);
    // BENCH_SPLIT_SERVER names another build of this program to serve
    // (mixing backends or trees, one end each); by default it is this one.
    const char* from_env = std::getenv("BENCH_SPLIT_SERVER");
    std::string binary = from_env != nullptr ? from_env : "/proc/self/exe";
    char serve_flag[] = "--serve";
    char* args[] = {binary.data(), serve_flag, const_cast<char*>(port_arg.c_str()), nullptr};
    DRPC_ASSERT(posix_spawn(&pid_, binary.c_str(), nullptr, nullptr, args, environ) == 0,
                "spawn the server process " + binary);
    // The server listens once it has started: a bounded wait for it (this
    // orders nothing under test; it only waits for another process).
    for (int attempt = 0; attempt < 500 && !conn_; ++attempt) {
      auto dialed = ConnectTo(port);
      if (dialed.ok()) {
        conn_.emplace(std::move(*dialed));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    DRPC_ASSERT(conn_.has_value(), "the server process did not listen in 5 s");
  }
  ~SplitServer() {
    if (raw_fd_ >= 0) close(raw_fd_);
    (void)conn_->Close();
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  rpc::Conn& conn() { return *conn_; }
  // The raw baseline's connection, made on first use; -1 if the server
  // (another build, BENCH_SPLIT_SERVER) does not serve it.
  int raw() {
    if (raw_fd_ >= 0) return raw_fd_;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(raw_port_);
    if (fd >= 0 && connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      raw_fd_ = fd;
    } else if (fd >= 0) {
      close(fd);
    }
    return raw_fd_;
  }

 private:
  pid_t pid_ = 0;
  uint16_t raw_port_ = 0;
  int raw_fd_ = -1;
  std::optional<rpc::Conn> conn_;
};

// Set by main for the run: made and torn down there, not at static
// destruction, when the runtime may be gone.
SplitServer* g_server = nullptr;
SplitServer& Server() { return *g_server; }

template <class Body>
void OnTask(Body body) {
  rt::Task task = rt::spawn("split.caller", [&body] { body(); });
  task.join();
}

uint64_t MessagesPerCall(size_t size) { return size >= 4096 ? 256 : 16384; }

struct Totals {
  uint64_t messages = 0;
  double seconds = 0;
  double server_cpu_s = 0;
  double client_cpu_s = 0;
};

void Report(benchmark::State& state, const Totals& t, size_t size) {
  const double n = static_cast<double>(std::max<uint64_t>(t.messages, 1));
  state.counters["msgs_per_s"] = n / t.seconds;
  state.counters["server_cpu_us_per_msg"] = t.server_cpu_s * 1e6 / n;
  state.counters["client_cpu_us_per_msg"] = t.client_cpu_s * 1e6 / n;
  state.SetItemsProcessed(static_cast<int64_t>(t.messages));
  state.SetBytesProcessed(static_cast<int64_t>(t.messages * size));
}

// One Emit call: `count` messages of `size` from the server.
double EmitCall(uint64_t count, size_t size) {
  auto stream = Server().conn().NewStream<std::string, std::string>(kEmit);
  DRPC_ASSERT(stream.ok(), stream.status().ToString());
  DRPC_ASSERT(stream->Send(std::to_string(count) + " " + std::to_string(size)).ok(), "request");
  DRPC_ASSERT(stream->CloseSend().ok(), "close send");
  std::string msg;
  for (uint64_t i = 0; i < count; ++i) {
    DRPC_ASSERT(stream->Recv(msg).ok() && msg.size() == size, "emitted message");
  }
  DRPC_ASSERT(stream->Recv(msg).ok(), "cpu reply");
  (void)stream->Close();
  return std::strtod(msg.c_str(), nullptr);
}

// Runs `call` (one call of `count` messages of `size`, returning the
// server's CPU seconds for it) once to warm up, then once per iteration,
// on an rt task (the library's calls) or on this thread (the raw baseline,
// whose blocking reads would hold up a fiber worker).
template <class Call>
void RunCalls(benchmark::State& state, uint64_t count, size_t size, Call call,
              bool on_task = true) {
  Totals totals;
  auto run = [&] {
    (void)call();  // warm-up: pools, buffers, connection
    for (auto _ : state) {
      const double cpu0 = ProcessCpuSeconds();
      const auto t0 = std::chrono::steady_clock::now();
      totals.server_cpu_s += call();
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      state.SetIterationTime(elapsed);
      totals.seconds += elapsed;
      totals.client_cpu_s += ProcessCpuSeconds() - cpu0;
      totals.messages += count;
    }
  };
  if (on_task) {
    OnTask(run);
  } else {
    run();
  }
  Report(state, totals, size);
}

void BM_ServerStreams(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const uint64_t count = MessagesPerCall(size);
  RunCalls(state, count, size, [&] { return EmitCall(count, size); });
}

// One Sink call: `count` messages of `size` to the server.
double SinkCall(uint64_t count, const std::string& payload) {
  auto stream = Server().conn().NewStream<std::string, std::string>(kSink);
  DRPC_ASSERT(stream.ok(), stream.status().ToString());
  for (uint64_t i = 0; i < count; ++i) DRPC_ASSERT(stream->Send(payload).ok(), "send");
  std::string reply;
  DRPC_ASSERT(stream->CloseAndRecv(reply).ok(), "cpu reply");
  (void)stream->Close();
  return std::strtod(reply.c_str(), nullptr);
}

void BM_ClientStreams(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const uint64_t count = MessagesPerCall(size);
  const std::string payload(size, 'x');
  RunCalls(state, count, size, [&] { return SinkCall(count, payload); });
}

// One raw request: `count` chunks of `size` from (direction 0) or to (1)
// the server over the plain socket; returns the server's CPU seconds.
double RawCall(int fd, uint64_t direction, uint64_t count, size_t size,
               std::vector<uint8_t>& chunk) {
  const uint64_t request[3] = {direction, count, size};
  DRPC_ASSERT(WriteAll(fd, request, sizeof request), "raw request");
  chunk.resize(std::max(size, kRawScratchBytes));
  if (direction == 0) {
    DRPC_ASSERT(Drain(fd, count * size, chunk), "raw chunks");
  } else {
    for (uint64_t i = 0; i < count; ++i) DRPC_ASSERT(WriteAll(fd, chunk.data(), size), "raw chunk");
  }
  double cpu = 0;
  DRPC_ASSERT(ReadAll(fd, &cpu, sizeof cpu), "raw cpu reply");
  return cpu;
}

void RawStreams(benchmark::State& state, uint64_t direction) {
  const size_t size = static_cast<size_t>(state.range(0));
  const uint64_t count = MessagesPerCall(size);
  const int fd = Server().raw();
  if (fd < 0) {
    state.SkipWithError("the server does not serve the raw baseline");
    return;
  }
  std::vector<uint8_t> chunk;
  RunCalls(
      state, count, size, [&] { return RawCall(fd, direction, count, size, chunk); },
      /*on_task=*/false);
}

void BM_RawServerStreams(benchmark::State& state) { RawStreams(state, 0); }
void BM_RawClientStreams(benchmark::State& state) { RawStreams(state, 1); }

void Sizes(benchmark::internal::Benchmark* b) {
  b->ArgName("bytes")->Arg(64)->Arg(64 * 1024)->Arg(1 << 20);
  b->UseManualTime()->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_ServerStreams)->Apply(Sizes);
BENCHMARK(BM_ClientStreams)->Apply(Sizes);
BENCHMARK(BM_RawServerStreams)->Apply(Sizes);
BENCHMARK(BM_RawClientStreams)->Apply(Sizes);

}  // namespace
}  // namespace drpc

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--serve") == 0) {
    // --serve PORT; the raw baseline's port, if any, in BENCH_SPLIT_RAW_PORT.
    const char* raw = std::getenv("BENCH_SPLIT_RAW_PORT");
    const char* texts[2] = {argv[2], raw != nullptr ? raw : "0"};
    long ports[2] = {0, 0};
    for (int i = 0; i < 2; ++i) {
      ports[i] = std::strtol(texts[i], nullptr, 10);
      if (ports[i] < (i == 0 ? 1 : 0) || ports[i] > 65535) {
        std::fprintf(stderr, "--serve wants a port, got \"%s\"\n", texts[i]);
        return 2;
      }
    }
    return drpc::Serve(static_cast<uint16_t>(ports[0]), static_cast<uint16_t>(ports[1]));
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  {
    drpc::SplitServer server;
    drpc::g_server = &server;
    benchmark::RunSpecifiedBenchmarks();
    drpc::g_server = nullptr;
  }
  benchmark::Shutdown();
  return 0;
}
