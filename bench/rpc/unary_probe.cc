// unary_probe: exactly N sequential unary calls (8-byte request echoed back)
// on one Conn over TCP loopback, after 200 warm-up calls, and nothing else,
// so that whole-process counts from a profiler divide by N into per-call
// figures (bench_rpc's loop runs a number of iterations of its choosing).
//
//   build/interop-release/bench/rpc/unary_probe 20000
//   strace -f -c build/interop-release/bench/rpc/unary_probe 20000   # syscalls / (N + 200)
//   valgrind --tool=callgrind build/interop-release/bench/rpc/unary_probe 2000
//   perf stat -e context-switches,task-clock build/interop-release/bench/rpc/unary_probe 20000
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/task.h"

int main(int argc, char** argv) {
  using namespace drpc;
  const long calls = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 20000;
  if (argc > 2 || calls <= 0) {
    std::fprintf(stderr, "usage: unary_probe [CALLS > 0]\n");
    return 2;
  }
  constexpr char kEcho[] = "/probe.Probe/Echo";
  constexpr int kWarmup = 200;
  rpc::Mux mux;
  mux.RegisterUnary<std::string, std::string>(
      kEcho, [](rpc::ServerCall&, const std::string& in, std::string& out) {
        out = in;
        return OkStatus();
      });
  rpc::Server server(mux);
  auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
  DRPC_ASSERT(listener.ok(), listener.status().ToString());
  rt::Task serving = rt::spawn("probe.serve", [&] { (void)server.Serve(**listener); });
  auto dialed = rt::os::TcpConnect("127.0.0.1", (*listener)->Port());
  DRPC_ASSERT(dialed.ok(), dialed.status().ToString());
  std::optional<rpc::Conn> conn;
  conn.emplace(std::move(*dialed));

  const std::string request(8, 'x');
  std::string reply;
  for (int i = 0; i < kWarmup; ++i)
    DRPC_ASSERT(conn->Invoke(kEcho, request, reply).ok(), "warm-up");
  const manager::MuxWriterStats before = conn->manager().writer().stats();
  const auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < calls; ++i) {
    const Status st = conn->Invoke(kEcho, request, reply);
    DRPC_ASSERT(st.ok(), st.ToString());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const manager::MuxWriterStats after = conn->manager().writer().stats();
  const double n = static_cast<double>(calls);
  std::printf("%ld calls (+%d warm-up), %.1f us per call\n", calls, kWarmup, seconds * 1e6 / n);
  // The client's writer per call: 3 frames (Invoke, Message, CloseSend) in
  // one inline write; a 4th is a Close sent before the server's CloseSend
  // was read.
  std::printf("client writer per call: %.2f frames, %.2f writes (%.2f inline, %.3f hand-offs)\n",
              static_cast<double>(after.frames_queued - before.frames_queued) / n,
              static_cast<double>(after.writes - before.writes) / n,
              static_cast<double>(after.inline_writes - before.inline_writes) / n,
              static_cast<double>(after.handoffs - before.handoffs) / n);
  (void)conn->Close();
  server.Stop(std::chrono::seconds(1));
  serving.join();
  return 0;
}
