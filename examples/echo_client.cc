// echo_client: calls every method of a running echo_server once and prints
// what happened: the four RPC shapes, metadata, an error with a code and a
// deadline. Exits 0 if every call behaved as expected, 1 if not, 2 on a
// bad command line.
//
//   build/default/examples/echo_client --port 9090
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/time.h"
#include "echo.drpc.h"
#include "examples/cli.h"

namespace {

using drpc::ErrorKind;
using drpc::Result;
using drpc::Status;
namespace rpc = drpc::rpc;
using namespace std::chrono_literals;

constexpr char kUsage[] =
    "usage: echo_client [--host ADDRESS] [--port PORT] [--user NAME]\n"
    "  --host  the server's address (default 127.0.0.1)\n"
    "  --port  the server's TCP port (default 9090)\n"
    "  --user  sent as the \"user\" metadata of the unary call (default newcomer)\n";

// "InvalidArgument (code 3): text must not be empty" for an error from the
// server, "DeadlineExceeded (context deadline exceeded)" for a local one.
std::string Describe(const Status& st) {
  if (st.ok()) return "ok";
  if (st.is(ErrorKind::kRemote)) {
    return std::string(drpc::StatusCodeName(st.code())) + " (code " +
           std::to_string(st.wire_code()) + "): " + st.message();
  }
  return std::string(drpc::StatusCodeName(st.code())) + " (" + st.message() + ")";
}

// Prints one line per call and counts the calls that went wrong.
class Report {
 public:
  void Line(bool as_expected, const char* shape, const std::string& what) {
    std::printf("%-14s %s%s\n", shape, what.c_str(), as_expected ? "" : "   <-- NOT AS EXPECTED");
    ++calls_;
    if (!as_expected) ++failed_;
  }
  int Finish() const {
    if (failed_ == 0) {
      std::printf("all %d calls behaved as expected\n", calls_);
      return 0;
    }
    std::printf("%d of %d calls did not behave as expected\n", failed_, calls_);
    return 1;
  }

 private:
  int calls_ = 0;
  int failed_ = 0;
};

void Unary(echo::Echo::Client& client, const std::string& user, Report& report) {
  echo::SayRequest request;
  request.set_text("hello, drpc");
  echo::SayReply reply;
  const Status st = client.Say(request, reply, {.metadata = {{"user", user}}});
  report.Line(st.ok() && reply.text() == request.text() && reply.user() == user, "unary",
              st.ok() ? "Say(\"hello, drpc\") -> \"" + reply.text() +
                            "\"; the server saw metadata user=" + reply.user()
                      : "Say(\"hello, drpc\") failed: " + Describe(st));
}

void ServerStream(echo::Echo::Client& client, Report& report) {
  constexpr uint32_t kCount = 3;
  echo::CountRequest request;
  request.set_count(kCount);
  auto stream = client.Count(request);
  if (!stream.ok()) return report.Line(false, "server stream", Describe(stream.status()));
  std::string ticks;
  uint32_t received = 0;
  echo::Tick tick;
  Status st;
  // One more round than expected, so an extra tick shows.
  for (uint32_t i = 0; i <= kCount && (st = stream->Recv(tick)).ok(); ++i) {
    ticks += " " + std::to_string(tick.index());
    ++received;
  }
  report.Line(received == kCount && st.is(ErrorKind::kEof), "server stream",
              "Count(3) -> ticks" + ticks + ", then " +
                  (st.is(ErrorKind::kEof) ? std::string("end of stream") : Describe(st)));
}

void ClientStream(echo::Echo::Client& client, Report& report) {
  auto stream = client.Sum();
  if (!stream.ok()) return report.Line(false, "client stream", Describe(stream.status()));
  echo::Number number;
  for (int64_t v = 1; v <= 5; ++v) {
    number.set_value(v);
    if (!stream->Send(number).ok()) break;  // the call ended: CloseAndRecv says why
  }
  echo::Total total;
  const Status st = stream->CloseAndRecv(total);
  report.Line(st.ok() && total.sum() == 15 && total.count() == 5, "client stream",
              st.ok() ? "Sum(1, 2, 3, 4, 5) -> " + std::to_string(total.sum()) + " (" +
                            std::to_string(total.count()) + " numbers)"
                      : "Sum failed: " + Describe(st));
}

void Bidi(echo::Echo::Client& client, Report& report) {
  auto stream = client.Chat();
  if (!stream.ok()) return report.Line(false, "bidi", Describe(stream.status()));
  std::string replies;
  bool all_echoed = true;
  echo::ChatMessage out, in;
  for (const char* text : {"ping", "pong"}) {
    out.set_text(text);
    const Status sent = stream->Send(out);
    const Status got = sent.ok() ? stream->Recv(in) : sent;
    all_echoed = all_echoed && got.ok() && in.text() == std::string("echo: ") + text;
    replies += got.ok() ? " \"" + in.text() + "\"" : " " + Describe(got);
  }
  (void)stream->CloseSend();
  const Status end = stream->Recv(in);
  report.Line(all_echoed && end.is(ErrorKind::kEof), "bidi",
              "Chat(\"ping\", \"pong\") ->" + replies + ", then " +
                  (end.is(ErrorKind::kEof) ? std::string("end of stream") : Describe(end)));
}

void Error(echo::Echo::Client& client, Report& report) {
  echo::SayRequest request;  // empty text: the server refuses it
  echo::SayReply reply;
  const Status st = client.Say(request, reply);
  report.Line(st.is(ErrorKind::kRemote) && st.code() == drpc::StatusCode::kInvalidArgument, "error",
              "Say(\"\") -> " + Describe(st));
}

void Deadline(echo::Echo::Client& client, Report& report) {
  echo::SayRequest request;
  request.set_text("too slow");
  request.set_delay_ms(1000);
  echo::SayReply reply;
  const auto start = drpc::rt::now();
  const Status st = client.Say(request, reply, {.deadline = rpc::DeadlineAfter(100ms)});
  const auto elapsed_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(drpc::rt::now() - start).count();
  report.Line(st.is(ErrorKind::kDeadlineExceeded), "deadline",
              "Say(delay 1000 ms) with a 100 ms deadline -> " + Describe(st) + " after " +
                  std::to_string(elapsed_ms) + " ms");
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags = {
      {"host", "127.0.0.1"}, {"port", "9090"}, {"user", "newcomer"}};
  if (std::optional<int> exit_status =
          examples::ParseCommandLine("echo_client", kUsage, argc, argv, flags)) {
    return *exit_status;
  }
  uint16_t port = 0;
  if (!examples::ParsePort(flags["port"], port) || port == 0) {
    return examples::UsageError("echo_client", "bad --port \"" + flags["port"] + "\"", kUsage);
  }

  auto transport = drpc::rt::os::TcpConnect(flags["host"], port);
  if (!transport.ok()) {
    std::fprintf(stderr, "echo_client: cannot connect to %s:%u: %s\n(is echo_server running?)\n",
                 flags["host"].c_str(), port, transport.status().ToString().c_str());
    return 1;
  }
  std::printf("connected to %s:%u\n", flags["host"].c_str(), port);
  rpc::Conn conn(std::move(*transport));
  echo::Echo::Client client(conn);
  Report report;
  Unary(client, flags["user"], report);
  ServerStream(client, report);
  ClientStream(client, report);
  Bidi(client, report);
  Error(client, report);
  Deadline(client, report);
  (void)conn.Close();
  return report.Finish();
}
