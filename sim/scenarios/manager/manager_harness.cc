#include "sim/scenarios/manager/manager_harness.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/rt.h"
#include "drpc/stream/codec.h"
#include "sim/checkers/resource_checker.h"
#include "sim/net/pipe.h"
#include "sim/scenarios/scenario.h"

namespace drpc::sim::mgr {
namespace {

using manager::ClientStreamOptions;
using manager::Manager;
using manager::ManagerOptions;
using manager::Role;
using manager::ServerStream;
using stream::BytesCodec;
using stream::Stream;

constexpr auto kMicro = std::chrono::microseconds(1);

uint64_t Draw(uint64_t n) { return sim::Choose(n, ChoiceKind::kWorkload); }

// ---- the workload -------------------------------------------------------------

enum class ClientEnd : uint8_t { kCloseSend, kClose, kCancel, kDeadline };
enum class ServerEnd : uint8_t { kEcho, kCancel, kSendError, kClose };
enum class Event : uint8_t { kNone, kCloseClient, kCloseServer, kReset };

struct StreamPlan {
  int64_t start_after_us = 0;
  std::vector<size_t> sizes;  // the client's messages
  ClientEnd client_end = ClientEnd::kCloseSend;
  int64_t deadline_us = 0;  // kDeadline
  ServerEnd server_end = ServerEnd::kEcho;
  int server_stop_after = 0;      // messages the server takes before its end (not kEcho)
  int64_t consumer_delay_us = 0;  // a slow server consumer
};

struct Workload {
  size_t pipe_capacity = 0;
  int64_t split_size = 0;
  size_t client_ring = 0;
  size_t server_ring = 0;
  size_t server_ring_budget = 0;  // bytes; 0 = the seed era's blocking ring
  size_t high_water = 0;
  Event event = Event::kNone;
  int64_t event_at_us = 0;
  // > 0: the event fires as soon as the server has accepted this many calls
  // (or at event_at_us, whichever is first), racing with the invokes still
  // in flight.
  size_t event_after_accepts = 0;
  std::vector<StreamPlan> plans;
};

Workload DrawWorkload() {
  Workload w;
  // Option 0 of each draw is the plain case, so shrinking moves toward it.
  static constexpr size_t kPipe[] = {4096, 64, 512};
  static constexpr int64_t kSplit[] = {0, 3, 16, 64};
  static constexpr size_t kHighWater[] = {size_t{1} << 20, 128};
  w.pipe_capacity = kPipe[Draw(3)];
  w.split_size = kSplit[Draw(4)];
  w.client_ring = 1 + Draw(4);
  w.server_ring = 1 + Draw(4);
  w.server_ring_budget = Draw(4) == 1 ? 600 : 0;
  w.high_water = kHighWater[Draw(2)];
  w.event = static_cast<Event>(Draw(4));
  w.event_at_us = static_cast<int64_t>(Draw(60)) * 5;
  // A burst: every call starts at the same instant as the connection event,
  // so the event races with invokes in flight (a Close while the reader is
  // admitting streams, a reset mid-invoke).
  const bool burst = Draw(2) == 1;
  const int streams = 1 + static_cast<int>(Draw(5));
  if (burst) w.event_after_accepts = 1 + Draw(static_cast<uint64_t>(streams));
  for (int i = 0; i < streams; ++i) {
    StreamPlan p;
    p.start_after_us = burst ? w.event_at_us : static_cast<int64_t>(Draw(20)) * 5;
    const int messages = static_cast<int>(Draw(5));
    for (int m = 0; m < messages; ++m) p.sizes.push_back(Draw(4) == 0 ? Draw(8) : Draw(300));
    p.client_end = static_cast<ClientEnd>(Draw(4));
    p.deadline_us = 1 + static_cast<int64_t>(Draw(100)) * 5;
    p.server_end = static_cast<ServerEnd>(Draw(4));
    p.server_stop_after = static_cast<int>(Draw(4));
    p.consumer_delay_us = Draw(3) == 0 ? static_cast<int64_t>(Draw(30)) : 0;
    w.plans.push_back(std::move(p));
  }
  return w;
}

std::string Payload(size_t stream_index, size_t message, size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    s[i] = static_cast<char>('a' + (stream_index * 7 + message * 13 + i) % 26);
  }
  return s;
}

// What happened on one stream, both sides, for the checks at the end.
struct StreamRecord {
  std::shared_ptr<Stream> client;
  std::shared_ptr<Stream> server;
  std::vector<std::string> client_sent_ok, server_received;
  std::vector<std::string> server_sent_ok, client_received;
  Status server_receive_end, client_receive_end;
};

[[noreturn]] void CheckFailed(const std::string& what) { sim::Fail("manager workload: " + what); }

void CheckPrefix(const std::vector<std::string>& sent, const std::vector<std::string>& received,
                 const Status& end, const std::string& where) {
  if (received.size() > sent.size()) {
    CheckFailed(where + ": received " + std::to_string(received.size()) + " messages but only " +
                std::to_string(sent.size()) + " were sent");
  }
  for (size_t i = 0; i < received.size(); ++i) {
    if (received[i] != sent[i]) {
      CheckFailed(where + ": message " + std::to_string(i) + " differs from what was sent (" +
                  std::to_string(received[i].size()) + " bytes received, " +
                  std::to_string(sent[i].size()) + " sent)");
    }
  }
  if (end.is(ErrorKind::kEof) && received.size() != sent.size()) {
    CheckFailed(where + ": receives ended with EOF after " + std::to_string(received.size()) +
                " of " + std::to_string(sent.size()) + " messages sent before the peer's end");
  }
}

ManagerOptions OptionsFor(Role role, const Workload& w) {
  ManagerOptions o;
  o.role = role;
  o.name = role == Role::kClient ? "client" : "server";
  o.stream.split_size = w.split_size;
  o.stream.ring.capacity = role == Role::kClient ? w.client_ring : w.server_ring;
  if (role == Role::kServer) o.stream.ring.max_bytes = w.server_ring_budget;
  o.writer.high_water_bytes = w.high_water;
  o.close_flush_timeout = std::chrono::milliseconds(5);
  // The connection timeouts off: this workload's planted deadlocks (both
  // pipes full, e.g. stream.terminal-holds-mu) must stay deadlocks the
  // simulator reports, not connections write_stall closes 30 s later.
  // The timeouts have tests of their own (tests/manager/timeouts_sim_test.cc).
  o.timeouts = manager::ConnectionTimeouts{.first_frame = rt::Duration::zero(),
                                           .idle = rt::Duration::zero(),
                                           .partial_frame = rt::Duration::zero(),
                                           .write_stall = rt::Duration::zero()};
  return o;
}

class WorkloadRun {
 public:
  explicit WorkloadRun(const Workload& w) : w_(w), records_(w.plans.size()) {}

  void Run() {
    sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = w_.pipe_capacity});
    pipe_ = ends.pipe;
    client_ = std::make_unique<Manager>(std::move(ends.a), OptionsFor(Role::kClient, w_));
    server_ = std::make_unique<Manager>(std::move(ends.b), OptionsFor(Role::kServer, w_));
    std::shared_ptr<stream::BufferPool> client_pool = client_->pool();
    std::shared_ptr<stream::BufferPool> server_pool = server_->pool();
    ResourceChecker resources;  // budgets at every step, all released at the end
    resources.WatchConnection(*client_);
    resources.WatchConnection(*server_);
    {
      StepHook ledger([client_pool, server_pool] {
        client_pool->CheckConservation();
        server_pool->CheckConservation();
      });
      rt::Task acceptor = rt::spawn("acceptor", [this] { Accept(); });
      std::vector<rt::Task> callers;
      for (size_t i = 0; i < w_.plans.size(); ++i) {
        callers.push_back(rt::spawn("call " + std::to_string(i), [this, i] { Call(i); }));
      }
      rt::Task event = rt::spawn("event", [this] { ConnectionEvent(); });
      for (rt::Task& t : callers) t.join();
      event.join();
      (void)client_->Close();  // the server sees EOF: the acceptor ends
      acceptor.join();
      (void)server_->Close();
      CheckStreams();
      records_.clear();
      client_.reset();
      server_.reset();
    }
    // Every stream and manager is gone: every buffer must be home.
    client_pool->CheckAllReturned();
    server_pool->CheckAllReturned();
    client_pool.reset();
    server_pool.reset();
    resources.CheckReleased();
  }

 private:
  void Call(size_t i) {
    const StreamPlan& plan = w_.plans[i];
    StreamRecord& rec = records_[i];
    rt::sleep_for(plan.start_after_us * kMicro);
    ClientStreamOptions options;
    if (plan.client_end == ClientEnd::kDeadline) {
      options.deadline = rt::now() + plan.deadline_us * kMicro;
    }
    Result<std::shared_ptr<Stream>> opened = client_->NewClientStream(options);
    if (!opened.ok()) return;  // the connection is gone
    std::shared_ptr<Stream> s = *opened;
    rec.client = s;
    // A failed invoke is not closed here: like any send error, the real
    // status is found by receiving (§2.4). That relies on the manager
    // canceling every stream it handed out when the connection dies.
    const bool invoked =
        s->WriteInvoke("/w/" + std::to_string(i), {{"call", std::to_string(i)}}).ok();
    rt::Task receiver = rt::spawn("call " + std::to_string(i) + " recv", [&rec, s] {
      for (int n = 0; n < 1000; ++n) {
        std::string msg;
        Status st = s->MsgRecv(msg, BytesCodec{});
        if (!st.ok()) {
          rec.client_receive_end = st;
          return;
        }
        rec.client_received.push_back(std::move(msg));
      }
      CheckFailed("a client receive loop ran past its bound");
    });
    for (size_t m = 0; invoked && m < plan.sizes.size(); ++m) {
      std::string msg = Payload(i, m, plan.sizes[m]);
      if (!s->MsgSend(msg, BytesCodec{}).ok()) break;
      rec.client_sent_ok.push_back(std::move(msg));
    }
    switch (plan.client_end) {
      case ClientEnd::kCloseSend:
      case ClientEnd::kDeadline:  // CloseSend, and the deadline may still cut it short
        (void)s->CloseSend();
        break;
      case ClientEnd::kClose:
        (void)s->Close();
        break;
      case ClientEnd::kCancel:
        (void)Manager::Cancel(*s, CanceledError());
        break;
    }
    receiver.join();
    (void)s->Close();  // the deferred Close of a finished call: a no-op once terminated
  }

  void Accept() {
    std::vector<rt::Task> handlers;
    for (int n = 0; n < 100; ++n) {
      Result<ServerStream> in = server_->NewServerStream();
      if (!in.ok()) break;
      const size_t i = std::stoul(in->rpc.substr(3));
      if (i >= records_.size() || records_[i].server != nullptr) {
        CheckFailed("the server accepted an unknown or duplicate call '" + in->rpc + "'");
      }
      if (in->metadata != wire::Metadata{{"call", std::to_string(i)}}) {
        CheckFailed("call " + std::to_string(i) + ": wrong metadata");
      }
      records_[i].server = in->stream;
      if (++accepted_ == w_.event_after_accepts) accepted_enough_.set(OkStatus());
      handlers.push_back(
          rt::spawn("handler " + std::to_string(i), [this, i, s = in->stream] { Handle(i, s); }));
    }
    for (rt::Task& t : handlers) t.join();
  }

  void Handle(size_t i, const std::shared_ptr<Stream>& s) {
    const StreamPlan& plan = w_.plans[i];
    StreamRecord& rec = records_[i];
    for (int n = 0; n < 1000; ++n) {
      if (plan.server_end != ServerEnd::kEcho && n == plan.server_stop_after) {
        // Stops reading, and ends the stream so its ring closes: a handler
        // that stops reading a live stream would block the shared reader.
        switch (plan.server_end) {
          case ServerEnd::kCancel:
            (void)Manager::Cancel(*s, CanceledError());
            break;
          case ServerEnd::kSendError:
            (void)s->SendError(Status(ErrorKind::kDrpc, "handler says no", 42));
            break;
          case ServerEnd::kClose:
          case ServerEnd::kEcho:
            (void)s->Close();
            break;
        }
        return;
      }
      if (plan.consumer_delay_us > 0) rt::sleep_for(plan.consumer_delay_us * kMicro);
      std::string msg;
      Status st = s->MsgRecv(msg, BytesCodec{});
      if (!st.ok()) {
        rec.server_receive_end = st;
        if (st.is(ErrorKind::kEof)) (void)s->CloseSend();
        return;
      }
      rec.server_received.push_back(msg);
      if (s->MsgSend(msg, BytesCodec{}).ok()) rec.server_sent_ok.push_back(std::move(msg));
    }
    CheckFailed("a handler loop ran past its bound");
  }

  void ConnectionEvent() {
    if (w_.event == Event::kNone) return;
    const rt::TimePoint at = rt::now() + w_.event_at_us * kMicro;
    if (w_.event_after_accepts > 0) {
      (void)accepted_enough_.wait_until(at, "event: wait for accepted calls");
    } else {
      rt::sleep_until(at);
    }
    switch (w_.event) {
      case Event::kNone:
        break;
      case Event::kCloseClient:
        (void)client_->Close();
        break;
      case Event::kCloseServer:
        (void)server_->Close();
        break;
      case Event::kReset:
        pipe_->Reset();
        break;
    }
  }

  void CheckStreams() {
    for (size_t i = 0; i < records_.size(); ++i) {
      const StreamRecord& rec = records_[i];
      const std::string call = "call " + std::to_string(i);
      for (const auto& [side, s] : {std::pair{"client", rec.client}, {"server", rec.server}}) {
        if (s != nullptr && !s->DebugState().fin) {
          CheckFailed(call + ": the " + side + " stream did not finish after both managers closed");
        }
      }
      CheckPrefix(rec.client_sent_ok, rec.server_received, rec.server_receive_end,
                  call + " client->server");
      CheckPrefix(rec.server_sent_ok, rec.client_received, rec.client_receive_end,
                  call + " server->client");
    }
  }

  const Workload& w_;
  std::vector<StreamRecord> records_;
  size_t accepted_ = 0;
  rt::Signal accepted_enough_{"workload.accepted_enough"};
  std::shared_ptr<sim::net::Pipe> pipe_;
  std::unique_ptr<Manager> client_;
  std::unique_ptr<Manager> server_;
};

}  // namespace

std::string ScenarioName(plant::Site site) {
  const std::string name(plant::Name(site));  // "manager.<bug>", or another layer's
  if (name.rfind("manager.", 0) == 0) return name + ".buggy";
  return "manager." + name + ".buggy";
}

RunOptions ManagerRunOptions(plant::Set plants) {
  return ScenarioDefaults(/*max_steps=*/400'000, plants);
}

void DrawAndRun() {
  const Workload w = DrawWorkload();
  WorkloadRun(w).Run();
}

// ---- head-of-line blocking ----------------------------------------------------

void RunHeadOfLine(bool byte_budget) {
  constexpr size_t kRing = 2;
  constexpr size_t kMessage = 16;
  sim::net::PipeEnds ends = sim::net::MakePipe({.capacity_bytes = 64 * 1024});
  ManagerOptions client_options;
  client_options.role = Role::kClient;
  client_options.name = "client";
  ManagerOptions server_options;
  server_options.role = Role::kServer;
  server_options.name = "server";
  server_options.stream.ring.capacity = kRing;
  if (byte_budget) server_options.stream.ring.max_bytes = kRing * kMessage;
  auto client = std::make_unique<manager::Manager>(std::move(ends.a), client_options);
  auto server = std::make_unique<manager::Manager>(std::move(ends.b), server_options);

  // Client: stream A gets four messages (twice the server's ring), then
  // stream B gets one; then it waits for A's reply.
  rt::Task caller = rt::spawn("caller", [&] {
    std::shared_ptr<Stream> a = *client->NewClientStream();
    std::shared_ptr<Stream> b = *client->NewClientStream();
    DRPC_ASSERT(a->WriteInvoke("/hol/A").ok() && b->WriteInvoke("/hol/B").ok(), "invokes");
    for (int m = 0; m < 4; ++m) (void)a->MsgSend(std::string(kMessage, 'a'), BytesCodec{});
    (void)b->MsgSend(std::string(kMessage, 'b'), BytesCodec{});
    std::string reply;
    Status got = a->MsgRecv(reply, BytesCodec{});
    if (!byte_budget) CheckFailed("the seed-era ring cannot get here");
    // With the budget, A was failed by the server: its abortive Error.
    if (!got.is(ErrorKind::kRemote) ||
        got.message().find("ResourceExhausted") == std::string::npos) {
      CheckFailed("stream A should fail with the server's ResourceExhausted, got " +
                  got.ToString());
    }
    (void)a->Close();
    (void)b->Close();
  });
  // Server: the handler of A needs B's message before it reads A.
  rt::Task handler = rt::spawn("handler A", [&] {
    ServerStream a = *server->NewServerStream();
    ServerStream b = *server->NewServerStream();
    std::string from_b;
    Status got_b = b.stream->MsgRecv(from_b, BytesCodec{});  // blocks for good without the budget
    if (!got_b.ok() || from_b != std::string(kMessage, 'b')) {
      CheckFailed("B's message did not arrive: " + got_b.ToString());
    }
    // A was failed for overrunning its budget; its queued messages drain.
    int drained = 0;
    std::string from_a;
    Status st;
    for (; drained < 10 && (st = a.stream->MsgRecv(from_a, BytesCodec{})).ok(); ++drained) {
    }
    if (drained != static_cast<int>(kRing) || !st.is(ErrorKind::kResourceExhausted)) {
      CheckFailed("stream A: drained " + std::to_string(drained) + " then " + st.ToString());
    }
    (void)b.stream->Close();
  });
  caller.join();
  handler.join();
  (void)client->Close();
  (void)server->Close();
}

}  // namespace drpc::sim::mgr
