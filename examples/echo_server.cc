// echo_server: serves the Echo service (echo.proto) over TCP until SIGINT
// or SIGTERM, then stops gracefully (calls in flight get 2 s to finish).
//
//   build/default/examples/echo_server --port 9090
//
// Prints "echo_server listening on <host>:<port>" once it accepts
// connections (with --port 0 the port is any free one).
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "drpc/base/status.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/os/tcp.h"
#include "echo.drpc.h"
#include "examples/cli.h"

namespace {

using drpc::OkStatus;
using drpc::Status;
namespace rpc = drpc::rpc;

constexpr char kUsage[] =
    "usage: echo_server [--host ADDRESS] [--port PORT]\n"
    "  --host  numeric address to listen on (default 127.0.0.1)\n"
    "  --port  TCP port, 0 = any free port (default 9090)\n";

constexpr uint32_t kMaxCount = 10'000;
constexpr uint32_t kMaxDelayMs = 60'000;

class EchoServer final : public echo::Echo::Service {
 public:
  Status Say(rpc::ServerCall& call, const echo::SayRequest& in, echo::SayReply& out) override {
    if (in.text().empty()) {
      return drpc::InvalidArgumentError("text must not be empty");  // the client sees code 3
    }
    if (in.delay_ms() > kMaxDelayMs) {
      return drpc::InvalidArgumentError("delay_ms is over 60000");  // the client sees code 3
    }
    // Waits, but returns at once if the call ends first (the client's
    // deadline or cancel, the connection closing, the server stopping).
    if (call.WaitDoneFor(std::chrono::milliseconds(in.delay_ms()))) {
      return call.stream().termination_error();
    }
    out.set_text(in.text());
    if (auto user = rpc::Lookup(call.metadata(), "user")) out.set_user(std::string(*user));
    return OkStatus();
  }

  Status Count(rpc::ServerCall&, const echo::CountRequest& in,
               rpc::ServerWriter<echo::Tick>& out) override {
    if (in.count() > kMaxCount) {
      return drpc::InvalidArgumentError("count is over 10000");  // the client sees code 3
    }
    echo::Tick tick;
    for (uint32_t i = 0; i < in.count(); ++i) {
      tick.set_index(i);
      // A failed send means the call ended; its status is the client's.
      if (Status st = out.Send(tick); !st.ok()) return st;
    }
    return OkStatus();
  }

  Status Sum(rpc::ServerCall&, rpc::ServerReader<echo::Number>& in, echo::Total& out) override {
    echo::Number number;
    Status st;
    int64_t sum = 0;
    uint32_t count = 0;
    // Ends at the client's CloseSend (EOF) or when the call ends.
    while ((st = in.Recv(number)).ok()) {
      sum += number.value();
      ++count;
    }
    if (!st.is(drpc::ErrorKind::kEof)) return st;
    out.set_sum(sum);
    out.set_count(count);
    return OkStatus();
  }

  Status Chat(rpc::ServerCall&,
              rpc::ServerReaderWriter<echo::ChatMessage, echo::ChatMessage>& stream) override {
    echo::ChatMessage in, out;
    Status st;
    while ((st = stream.Recv(in)).ok()) {
      out.set_text("echo: " + in.text());
      if (Status sent = stream.Send(out); !sent.ok()) return sent;
    }
    return st.is(drpc::ErrorKind::kEof) ? OkStatus() : st;
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {{"host", "127.0.0.1"}, {"port", "9090"}};
  if (std::optional<int> exit_status =
          examples::ParseCommandLine("echo_server", kUsage, argc, argv, flags)) {
    return *exit_status;
  }
  uint16_t port = 0;
  if (!examples::ParsePort(flags["port"], port)) {
    return examples::UsageError("echo_server", "bad --port \"" + flags["port"] + "\"", kUsage);
  }

  // SIGINT and SIGTERM are taken by sigwait on the stopper thread, not by a
  // handler: block them before any thread starts, so every thread inherits
  // the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto listener = drpc::rt::os::TcpListener::Listen(flags["host"], port);
  if (!listener.ok()) {
    std::fprintf(stderr, "echo_server: cannot listen on %s:%u: %s\n", flags["host"].c_str(), port,
                 listener.status().ToString().c_str());
    return 1;
  }
  const std::string address = (*listener)->address();
  EchoServer echo_server;
  rpc::Mux mux;
  echo::Echo::Register(mux, echo_server);
  rpc::Server server(mux);
  if (Status started = server.Start(std::move(*listener)); !started.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", started.ToString().c_str());
    return 1;
  }
  std::printf("echo_server listening on %s\n", address.c_str());
  std::fflush(stdout);

  // The stopper waits for a signal and stops the server gracefully; Wait
  // below returns once that Stop has finished.
  std::thread stopper([&] {
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    std::printf("echo_server: %s, stopping\n", strsignal(signal_number));
    std::fflush(stdout);
    server.Stop(std::chrono::seconds(2));
  });
  const Status served = server.Wait();
  // A broken listener ends Wait before any signal: wake the stopper, which
  // stops the connections still open.
  if (!served.ok()) kill(getpid(), SIGTERM);
  stopper.join();
  if (!served.ok()) {
    std::fprintf(stderr, "echo_server: %s\n", served.ToString().c_str());
    return 1;
  }
  return 0;
}
