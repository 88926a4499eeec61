#include "sim/scenarios/rpc/rpc_harness.h"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server.h"
#include "drpc/rt/rt.h"
#include "sim/net/listener.h"

namespace drpc::sim::rpcsim {
namespace {

using rpc::CallOptions;
using rpc::CancelToken;
using rpc::Conn;
using rpc::Metadata;
using rpc::ServerCall;
using std::chrono::microseconds;

constexpr char kEchoRpc[] = "/sim.Test/Echo";
constexpr char kFailRpc[] = "/sim.Test/Fail";
constexpr char kUnknownRpc[] = "/x.Y/Z";
constexpr char kCountRpc[] = "/sim.Test/Count";
constexpr char kSumRpc[] = "/sim.Test/Sum";
constexpr char kChatRpc[] = "/sim.Test/Chat";
constexpr char kBlockRpc[] = "/sim.Test/Block";
constexpr uint64_t kFailCode = 7;

constexpr char kFailText[] = "sim handler failed";

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

// A handler's pause before a message, sometimes: lets deadlines and
// cancels land in the middle of streams (virtual time moves only when
// something waits).
void MaybePause() {
  if (Draw(4) == 1) rt::sleep_for(std::chrono::microseconds(10 * (1 + Draw(5))));
}

[[noreturn]] void CheckFailed(const std::string& what) { sim::Fail("rpc workload: " + what); }

// ---- the workload -------------------------------------------------------------

enum class Shape : uint8_t { kEcho, kFail, kUnknown, kCount, kSum, kChat, kBlock };
constexpr int kShapes = 7;
enum class Ending : uint8_t { kNone, kCancel, kDeadline };
enum class Event : uint8_t { kNone, kReset, kClientClose, kServerStop };

const char* ShapeName(Shape shape) {
  static constexpr const char* kNames[] = {"echo", "fail", "unknown", "count",
                                           "sum",  "chat", "block"};
  return kNames[static_cast<int>(shape)];
}

struct CallPlan {
  size_t conn = 0;
  int64_t start_us = 0;
  Shape shape = Shape::kEcho;
  int messages = 0;  // streams: how many
  Ending ending = Ending::kNone;
  int64_t end_us = 0;  // the cancel's time, or the deadline (from the call's start)
  Metadata metadata;
};

struct Workload {
  size_t pipe_capacity = 0;
  int64_t split_size = 0;
  size_t ring_capacity = 0;
  uint64_t accept_error_one_in = 0;
  size_t conns = 0;
  std::vector<CallPlan> calls;
  Event event = Event::kNone;
  size_t event_conn = 0;
  int64_t event_us = 0;
  int64_t stop_grace_us = 0;
};

Metadata DrawMetadata() {
  static const std::pair<const char*, const char*> kEntries[] = {
      {"authorization", "Bearer t0k3n"}, {"", "empty key"}, {"empty value", ""}, {"x-id", "42"}};
  Metadata md;
  const uint64_t n = Draw(3);
  for (uint64_t i = 0; i < n; ++i) {
    const auto& [key, value] = kEntries[Draw(4)];
    md[key] = value;
  }
  return md;
}

Workload DrawWorkload() {
  // Option 0 of each draw is the plain case, so shrinking moves toward it.
  static constexpr size_t kPipe[] = {4096, 64, 512};
  static constexpr int64_t kSplit[] = {0, 3, 16};
  Workload w;
  w.pipe_capacity = kPipe[Draw(3)];
  w.split_size = kSplit[Draw(3)];
  w.ring_capacity = 1 + Draw(4);
  w.accept_error_one_in = Draw(3) == 1 ? 3 : 0;
  w.conns = 1 + Draw(2);
  const size_t calls = 1 + Draw(8);
  for (size_t i = 0; i < calls; ++i) {
    CallPlan p;
    p.conn = Draw(w.conns);
    p.start_us = static_cast<int64_t>(Draw(20)) * 10;
    p.shape = static_cast<Shape>(Draw(kShapes));
    p.messages = static_cast<int>(Draw(5));
    p.ending = static_cast<Ending>(Draw(3));
    // A blocking call ends only by its cancel or deadline (or an event).
    if (p.shape == Shape::kBlock && p.ending == Ending::kNone) p.ending = Ending::kCancel;
    // A quarter of the cancels fire at the call's start: they race the
    // invoke sequence itself, step by step.
    p.end_us = Draw(4) == 0 ? 0 : 1 + static_cast<int64_t>(Draw(40)) * 10;
    p.metadata = DrawMetadata();
    w.calls.push_back(std::move(p));
  }
  w.event = static_cast<Event>(Draw(4));
  w.event_conn = Draw(w.conns);
  w.event_us = static_cast<int64_t>(Draw(40)) * 10;
  w.stop_grace_us = static_cast<int64_t>(Draw(4)) * 50;
  return w;
}

std::string MetadataSummary(const Metadata& md) {
  std::string out;
  for (const auto& [k, v] : md) out += k + "=" + v + ";";  // sorted: deterministic
  return out;
}

// ---- the server ---------------------------------------------------------------

class TestServer {
 public:
  explicit TestServer(RpcPlant plant) : plant_(plant) {
    mux.RegisterUnary<std::string, std::string>(
        kEchoRpc, [this](ServerCall& call, const std::string& in, std::string& out) {
          MaybePause();
          out = in + "|" + MetadataSummary(call.metadata());
          if (plant_ == RpcPlant::kWrongReply && ++echoes_ == 2) out.pop_back();
          return OkStatus();
        });
    mux.RegisterUnary<std::string, std::string>(kFailRpc,
                                                [](ServerCall&, const std::string&, std::string&) {
                                                  return WithCode(DrpcError(kFailText), kFailCode);
                                                });
    mux.RegisterServerStream<std::string, std::string>(
        kCountRpc, [](ServerCall&, const std::string& in, rpc::ServerWriter<std::string>& out) {
          const int n = std::stoi(in);
          for (int i = 0; i < n; ++i) {
            MaybePause();
            if (Status st = out.Send("c" + std::to_string(i)); !st.ok()) return st;
          }
          return OkStatus();
        });
    mux.RegisterClientStream<std::string, std::string>(
        kSumRpc, [](ServerCall&, rpc::ServerReader<std::string>& in, std::string& out) {
          int64_t sum = 0;
          std::string msg;
          Status st;
          // Bounded by the client's messages: it ends with EOF or an error.
          while ((st = in.Recv(msg)).ok()) {
            sum += std::stoll(msg);
            MaybePause();
          }
          if (!st.is(ErrorKind::kEof)) return st;
          out = std::to_string(sum);
          return OkStatus();
        });
    mux.RegisterBidiStream<std::string, std::string>(
        kChatRpc, [](ServerCall&, rpc::ServerReaderWriter<std::string, std::string>& stream) {
          std::string msg;
          Status st;
          while ((st = stream.Recv(msg)).ok()) {
            MaybePause();
            if (Status sent = stream.Send("e:" + msg); !sent.ok()) return sent;
          }
          return st.is(ErrorKind::kEof) ? OkStatus() : st;
        });
    mux.RegisterUnary<std::string, std::string>(
        kBlockRpc, [this](ServerCall& call, const std::string&, std::string&) {
          if (plant_ == RpcPlant::kStuckHandler) {
            never_.wait("planted: a handler that ignores its call's end");
          }
          call.done().wait("block: waits until its call ends");
          return call.stream().termination_error();
        });
  }

  rpc::Mux mux;

 private:
  const RpcPlant plant_;
  int echoes_ = 0;  // fibers on one thread: no lock needed, and none wanted (no extra steps)
  rt::Signal never_{"planted.never"};
};

// ---- the clients --------------------------------------------------------------

struct CallResult {
  Status status;
  std::string wrong;  // a successful result that is not the expected one
  bool done = false;
};

std::string ExpectedEcho(size_t index, const Metadata& md) {
  return "req" + std::to_string(index) + "|" + MetadataSummary(md);
}

CallResult RunShape(Conn& conn, const CallPlan& plan, size_t index, const CallOptions& options) {
  CallResult r;
  switch (plan.shape) {
    case Shape::kEcho:
    case Shape::kFail:
    case Shape::kUnknown:
    case Shape::kBlock: {
      const char* rpc = plan.shape == Shape::kEcho    ? kEchoRpc
                        : plan.shape == Shape::kFail  ? kFailRpc
                        : plan.shape == Shape::kBlock ? kBlockRpc
                                                      : kUnknownRpc;
      std::string reply;
      r.status = conn.Invoke(rpc, "req" + std::to_string(index), reply, options);
      if (r.status.ok() && plan.shape == Shape::kEcho &&
          reply != ExpectedEcho(index, plan.metadata)) {
        r.wrong =
            "echo reply '" + reply + "', expected '" + ExpectedEcho(index, plan.metadata) + "'";
      }
      return r;
    }
    case Shape::kCount: {
      auto s = conn.NewStream<std::string, std::string>(kCountRpc, options);
      if (!s.ok()) {
        r.status = s.status();
        return r;
      }
      (void)s->Send(std::to_string(plan.messages));
      (void)s->CloseSend();
      std::string msg;
      for (int i = 0; i <= plan.messages; ++i) {
        r.status = s->Recv(msg);
        if (!r.status.ok()) break;
        if (i == plan.messages || msg != "c" + std::to_string(i)) {
          r.wrong = "count: message " + std::to_string(i) + " is '" + msg + "'";
          return r;
        }
      }
      if (r.status.is(ErrorKind::kEof)) r.status = OkStatus();  // the end after every message
      return r;
    }
    case Shape::kSum: {
      auto s = conn.NewStream<std::string, std::string>(kSumRpc, options);
      if (!s.ok()) {
        r.status = s.status();
        return r;
      }
      int64_t want = 0;
      for (int i = 0; i < plan.messages; ++i) {
        if (!s->Send(std::to_string(i + 1)).ok()) break;  // the real status comes from the receive
        want += i + 1;
      }
      std::string total;
      r.status = s->CloseAndRecv(total);
      if (r.status.ok() && total != std::to_string(want)) r.wrong = "sum " + total;
      return r;
    }
    case Shape::kChat: {
      auto s = conn.NewStream<std::string, std::string>(kChatRpc, options);
      if (!s.ok()) {
        r.status = s.status();
        return r;
      }
      std::string msg;
      for (int i = 0; i < plan.messages; ++i) {
        (void)s->Send("m" + std::to_string(i));
        r.status = s->Recv(msg);
        if (!r.status.ok()) return r;
        if (msg != "e:m" + std::to_string(i)) {
          r.wrong = "chat: reply " + std::to_string(i) + " is '" + msg + "'";
          return r;
        }
      }
      (void)s->CloseSend();
      r.status = s->Recv(msg);
      if (r.status.ok()) r.wrong = "chat: a reply after CloseSend";
      if (r.status.is(ErrorKind::kEof)) r.status = OkStatus();
      return r;
    }
  }
  DRPC_ASSERT(false, "unknown shape");
  return r;
}

// ---- checks -------------------------------------------------------------------

bool Disrupted(const Workload& w, const CallPlan& plan) {
  return w.event == Event::kServerStop ||
         ((w.event == Event::kReset || w.event == Event::kClientClose) &&
          w.event_conn == plan.conn);
}

// Why `status` is not an allowed end of `plan` (empty if it is).
std::string Disallowed(const Workload& w, const CallPlan& plan, const Status& st) {
  const bool expect_error =
      plan.shape == Shape::kFail || plan.shape == Shape::kUnknown || plan.shape == Shape::kBlock;
  if (st.ok()) return expect_error ? "succeeded" : "";
  if (plan.shape == Shape::kFail && st.is(ErrorKind::kRemote) && st.code() == kFailCode &&
      st.message() == kFailText) {
    return "";
  }
  if (plan.shape == Shape::kUnknown && st.is(ErrorKind::kRemote) && st.wire_code() == 0 &&
      st.message() == "protocol error: unknown rpc: \"/x.Y/Z\"") {
    return "";
  }
  if (st.is(ErrorKind::kCanceled) &&
      (plan.ending == Ending::kCancel || w.event == Event::kServerStop)) {
    return "";
  }
  if (st.is(ErrorKind::kDeadlineExceeded) && plan.ending == Ending::kDeadline) return "";
  if (Disrupted(w, plan) &&
      (st.is(ErrorKind::kClosed) || st.is(ErrorKind::kConnection) || st.is(ErrorKind::kEof))) {
    return "";
  }
  if (w.event == Event::kServerStop && st.is(ErrorKind::kRemote) &&
      st.code() == StatusCode::kUnavailable) {
    return "";
  }
  return "ended with " + st.ToString();
}

std::string Describe(const Workload& w, const CallPlan& p, size_t i) {
  static constexpr const char* kEndings[] = {"none", "cancel", "deadline"};
  static constexpr const char* kEvents[] = {"none", "reset", "client-close", "server-stop"};
  return "call " + std::to_string(i) + " (" + ShapeName(p.shape) + " on conn " +
         std::to_string(p.conn) + ", " + std::to_string(p.messages) + " messages, ending " +
         kEndings[static_cast<int>(p.ending)] + " at +" + std::to_string(p.end_us) + "us; event " +
         kEvents[static_cast<int>(w.event)] + " on conn " + std::to_string(w.event_conn) + " at " +
         std::to_string(w.event_us) + "us)";
}

// ---- one run ------------------------------------------------------------------

class WorkloadRun {
 public:
  WorkloadRun(const Workload& w, RpcPlant plant) : w_(w), plant_(plant), results_(w.calls.size()) {}

  void Run() {
    std::vector<std::shared_ptr<stream::BufferPool>> pools;
    {
      net::ListenerOptions listener_options;
      listener_options.pipe.capacity_bytes = w_.pipe_capacity;
      listener_options.accept_error_one_in = w_.accept_error_one_in;
      net::Listener listener(listener_options);
      TestServer service(plant_);
      rpc::ServerOptions server_options;
      server_options.manager.stream.split_size = w_.split_size;
      server_options.manager.stream.ring.capacity = w_.ring_capacity;
      server_options.manager.close_flush_timeout = std::chrono::milliseconds(5);
      server_options.accept_backoff_initial = microseconds(10);
      server_options.accept_backoff_max = microseconds(80);
      server_options.on_connection = [&pools](manager::Manager& m) { pools.push_back(m.pool()); };
      rpc::Server server(service.mux, server_options);
      StepHook ledger([&pools] {
        for (const std::shared_ptr<stream::BufferPool>& pool : pools) pool->CheckConservation();
      });
      Status served;
      rt::Task serving = rt::spawn("serve", [&] { served = server.Serve(listener); });
      for (size_t c = 0; c < w_.conns; ++c) {
        Result<net::Dialed> dialed = listener.Dial();
        if (!dialed.ok()) CheckFailed("dial: " + dialed.status().ToString());
        pipes_.push_back(dialed->pipe);
        rpc::ConnOptions options;
        options.manager.name = "client" + std::to_string(c);
        options.manager.stream.split_size = w_.split_size;
        options.manager.stream.ring.capacity = w_.ring_capacity;
        options.manager.close_flush_timeout = std::chrono::milliseconds(5);
        conns_.push_back(std::make_unique<Conn>(std::move(dialed->transport), std::move(options)));
        pools.push_back(conns_.back()->manager().pool());
      }
      std::vector<rt::Task> callers;
      for (size_t i = 0; i < w_.calls.size(); ++i) {
        callers.push_back(rt::spawn("call " + std::to_string(i), [this, i] { Call(i); }));
      }
      rt::Task event = rt::spawn("event", [&] { FireEvent(server); });
      for (rt::Task& t : callers) t.join();
      event.join();
      // Shutdown: every client connection, then the server.
      for (const std::unique_ptr<Conn>& conn : conns_) (void)conn->Close();
      server.Stop(microseconds(w_.stop_grace_us));
      serving.join();
      if (!served.ok()) CheckFailed("Serve returned " + served.ToString());
      CheckResults();
      conns_.clear();
    }
    // Everything is destroyed: every buffer must be home.
    for (const std::shared_ptr<stream::BufferPool>& pool : pools) pool->CheckAllReturned();
  }

 private:
  void Call(size_t i) {
    const CallPlan& plan = w_.calls[i];
    rt::sleep_for(microseconds(plan.start_us));
    CallOptions options;
    options.metadata = plan.metadata;
    rt::Task canceler;
    if (plan.ending == Ending::kCancel) {
      CancelToken token;
      options.cancel = token;
      canceler = rt::spawn("cancel " + std::to_string(i), [token, at = plan.end_us] {
        rt::sleep_for(microseconds(at));
        token.Cancel();
      });
    } else if (plan.ending == Ending::kDeadline) {
      options.deadline = rt::now() + microseconds(plan.end_us);
    }
    results_[i] = RunShape(*conns_[plan.conn], plan, i, options);
    results_[i].done = true;
    if (canceler.joinable()) canceler.join();
  }

  void FireEvent(rpc::Server& server) {
    if (w_.event == Event::kNone) return;
    rt::sleep_for(microseconds(w_.event_us));
    switch (w_.event) {
      case Event::kReset:
        pipes_[w_.event_conn]->Reset();
        break;
      case Event::kClientClose:
        (void)conns_[w_.event_conn]->Close();
        break;
      case Event::kServerStop:
        server.Stop(microseconds(w_.stop_grace_us));
        break;
      case Event::kNone:
        break;
    }
  }

  void CheckResults() const {
    for (size_t i = 0; i < w_.calls.size(); ++i) {
      const CallResult& r = results_[i];
      if (!r.done) CheckFailed(Describe(w_, w_.calls[i], i) + " never returned");
      if (!r.wrong.empty()) CheckFailed(Describe(w_, w_.calls[i], i) + ": " + r.wrong);
      if (std::string why = Disallowed(w_, w_.calls[i], r.status); !why.empty()) {
        CheckFailed(Describe(w_, w_.calls[i], i) + " " + why);
      }
    }
    for (size_t i = 0; i < w_.calls.size(); ++i) {
      const Status& st = results_[i].status;
      std::string result(ErrorKindName(st.kind()));
      if (st.is(ErrorKind::kRemote)) result += " code " + std::to_string(st.wire_code());
      ++OutcomeTally()[std::string(ShapeName(w_.calls[i].shape)) + " " + result];
    }
  }

  const Workload& w_;
  const RpcPlant plant_;
  std::vector<CallResult> results_;
  std::vector<std::unique_ptr<Conn>> conns_;
  std::vector<std::shared_ptr<net::Pipe>> pipes_;
};

}  // namespace

std::map<std::string, uint64_t>& OutcomeTally() {
  static std::map<std::string, uint64_t> tally;
  return tally;
}

std::string ScenarioName(RpcPlant plant) {
  switch (plant) {
    case RpcPlant::kNone:
      return "rpc.fixed";
    case RpcPlant::kWrongReply:
      return "rpc.wrong-reply.buggy";
    case RpcPlant::kStuckHandler:
      return "rpc.stuck-handler.buggy";
  }
  return "rpc.unknown";
}

Outcome ExpectedOutcome(RpcPlant plant) {
  switch (plant) {
    case RpcPlant::kNone:
      return Outcome::kOk;
    case RpcPlant::kWrongReply:
      return Outcome::kInvariantFailed;
    case RpcPlant::kStuckHandler:
      return Outcome::kDeadlock;
  }
  return Outcome::kOk;
}

RunOptions RpcRunOptions() {
  RunOptions options;
  options.max_steps = 400'000;
  options.stack_bytes = 128 * 1024;
  return options;
}

void DrawAndRun(RpcPlant plant) {
  const Workload w = DrawWorkload();
  WorkloadRun(w, plant).Run();
}

}  // namespace drpc::sim::rpcsim
