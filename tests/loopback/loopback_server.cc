#include "tests/loopback/loopback_server.h"

#include <gtest/gtest.h>

#include <charconv>
#include <utility>

#include "drpc/manager/timeouts.h"
#include "drpc/rpc/conn.h"
#include "drpc/rt/os/tcp.h"
#include "drpc/rt/time.h"

namespace drpc::loopback {
namespace {

using rpc::ServerCall;

// Bounds a Stuck handler that is never canceled, so a broken server cannot
// keep the test process alive forever (ctest's TIMEOUT is shorter anyway).
constexpr auto kStuckLimit = std::chrono::seconds(120);

}  // namespace

LoopbackServer::LoopbackServer(rpc::ServerOptions options) : options_(std::move(options)) {
  RegisterHandlers();
  rpc::ServerOptions served = options_;
  // Chain the test's own observer, if any, after recording the meter.
  served.on_connection = [this, next = options_.on_connection](manager::Manager& manager) {
    {
      std::lock_guard lock(mu_);
      meters_.push_back(manager.meter());
    }
    if (next) next(manager);
  };
  server_ = std::make_unique<rpc::Server>(mux_, std::move(served));
  auto listener = rt::os::TcpListener::Listen("127.0.0.1", 0);
  if (!listener.ok()) {
    ADD_FAILURE() << "listen: " << listener.status().ToString();
    return;
  }
  port_ = (*listener)->Port();
  if (Status st = server_->Start(std::move(*listener)); !st.ok()) {
    ADD_FAILURE() << "start: " << st.ToString();
  }
}

LoopbackServer::~LoopbackServer() {
  ReleaseSlow();
  server_->Stop(rt::Duration::zero());
}

void LoopbackServer::RegisterHandlers() {
  mux_.RegisterUnary<std::string, std::string>(
      kEcho, [](ServerCall&, const std::string& in, std::string& out) {
        out = in;
        return OkStatus();
      });
  mux_.RegisterClientStream<std::string, std::string>(
      kSlow, [this](ServerCall& call, rpc::ServerReader<std::string>& in, std::string& out) {
        (void)rt::wait_any({&slow_gate_, &call.done()}, "loopback.slow waits for its gate");
        std::string message;
        Status st;
        uint64_t read = 0;
        while ((st = in.Recv(message)).ok()) ++read;
        if (!st.is(ErrorKind::kEof)) return st;
        out = std::to_string(read);
        return OkStatus();
      });
  mux_.RegisterUnary<std::string, std::string>(
      kBig, [](ServerCall&, const std::string& in, std::string& out) {
        size_t size = 0;
        const auto [end, ec] = std::from_chars(in.data(), in.data() + in.size(), size);
        if (ec != std::errc() || end != in.data() + in.size()) {
          return InvalidArgumentError("Big wants a decimal byte count");
        }
        out.assign(size, 'x');
        return OkStatus();
      });
  mux_.RegisterUnary<std::string, std::string>(
      kStuck, [this](ServerCall& call, const std::string&, std::string&) {
        const int running = stuck_running_.fetch_add(1) + 1;
        int peak = stuck_peak_.load();
        while (running > peak && !stuck_peak_.compare_exchange_weak(peak, running)) {
        }
        (void)call.WaitDoneFor(kStuckLimit);
        stuck_running_.fetch_sub(1);
        return call.stream().termination_error();
      });
}

size_t LoopbackServer::connections_seen() const {
  std::lock_guard lock(mu_);
  return meters_.size();
}

bool LoopbackServer::WaitConnectionsSeen(size_t n, Clock::time_point deadline) const {
  // Polls a counter the server's task bumps: a bounded wait for a state, not
  // a sleep that orders events.
  while (connections_seen() < n) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

std::shared_ptr<const ResourceMeter> LoopbackServer::meter(size_t index) const {
  std::lock_guard lock(mu_);
  return index < meters_.size() ? meters_[index] : nullptr;
}

HealthyClient::HealthyClient(uint16_t port, milliseconds period, milliseconds call_timeout)
    : period_(period), call_timeout_(call_timeout), thread_([this, port] { Run(port); }) {}

HealthyClient::~HealthyClient() { Stop(); }

void HealthyClient::Stop() {
  (void)stop_.set(OkStatus());
  if (thread_.joinable()) thread_.join();
}

void HealthyClient::Run(uint16_t port) {
  auto transport = rt::os::TcpConnect("127.0.0.1", port);
  if (!transport.ok()) {
    std::lock_guard lock(mu_);
    failures_.push_back("connect: " + transport.status().ToString());
    return;
  }
  rpc::Conn conn(std::move(*transport));
  for (uint64_t i = 0; !stop_.is_set(); ++i) {
    const std::string request = "healthy " + std::to_string(i);
    std::string reply;
    const Status st =
        conn.Invoke(kEcho, request, reply, {.deadline = rpc::DeadlineAfter(call_timeout_)});
    if (st.ok() && reply == request) {
      calls_ok_.fetch_add(1);
    } else {
      std::lock_guard lock(mu_);
      failures_.push_back("call " + std::to_string(i) + ": " +
                          (st.ok() ? "wrong reply" : st.ToString()));
    }
    (void)stop_.wait_until(rt::now() + period_, "healthy client paces its calls");
  }
}

bool HealthyClient::WaitCalls(int n, Clock::time_point deadline) const {
  const int target = calls_ok_.load() + n;
  while (calls_ok_.load() < target) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

void HealthyClient::ExpectServed() {
  Stop();
  std::lock_guard lock(mu_);
  EXPECT_GT(calls_ok_.load(), 0) << "the healthy client was never served";
  EXPECT_TRUE(failures_.empty()) << failures_.size()
                                 << " healthy calls failed, the first: " << failures_.front();
}

PeakBytes::PeakBytes(std::shared_ptr<const ResourceMeter> meter)
    : meter_(std::move(meter)), thread_([this] {
        do {
          const int64_t now = meter_->Snapshot().total_bytes();
          if (now > peak_.load()) peak_.store(now);
        } while (!stop_.wait_until(rt::now() + std::chrono::milliseconds(1), "peak_bytes samples"));
      }) {}

PeakBytes::~PeakBytes() { Stop(); }

void PeakBytes::Stop() {
  (void)stop_.set(OkStatus());
  if (thread_.joinable()) thread_.join();
}

bool SetTimeouts(rpc::ServerOptions& options, const TimeoutSettings& timeouts) {
  options.manager.timeouts.first_frame = timeouts.first_frame;
  options.manager.timeouts.idle = timeouts.idle;
  options.manager.timeouts.partial_frame = timeouts.partial_frame;
  options.manager.timeouts.write_stall = timeouts.write_stall;
  return true;
}

rpc::ServerOptions SmallBudgetOptions(size_t max_bytes) {
  rpc::ServerOptions options;
  options.manager.budget.max_bytes = max_bytes;
  return options;
}

}  // namespace drpc::loopback
