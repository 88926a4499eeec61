#include "tests/interop/conversation.h"

#include <algorithm>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"

namespace drpc::interop {
namespace detail {

struct Line {
  rt::Mutex mu{"interop.line"};
  rt::CondVar changed{"interop.line.changed"};
  size_t read_size = 0;
  std::vector<uint8_t> inbound;   // guarded by mu: sent by the peer, not yet read
  std::vector<uint8_t> outbound;  // guarded by mu: everything the C++ side wrote
  bool hung_up = false;           // guarded by mu: the peer closed (EOF after inbound)
  bool closed = false;            // guarded by mu: the C++ side closed its transport
};

}  // namespace detail

namespace {

class ScriptedTransport final : public rt::Transport {
 public:
  explicit ScriptedTransport(std::shared_ptr<detail::Line> line) : line_(std::move(line)) {}
  ~ScriptedTransport() override { (void)Close(); }

  ReadResult Read(MutableBytes buffer) override {
    DRPC_ASSERT(!buffer.empty(), "Read with an empty buffer");
    rt::Lock lock(line_->mu);
    line_->changed.wait(
        lock, [&] { return !line_->inbound.empty() || line_->hung_up || line_->closed; },
        "interop: the C++ side waits for the Go peer's bytes");
    if (line_->closed) return ReadResult{0, ClosedError("scripted transport closed")};
    if (line_->inbound.empty()) return ReadResult{0, EofError()};
    size_t n = std::min(buffer.size(), line_->inbound.size());
    if (line_->read_size > 0) n = std::min(n, line_->read_size);
    std::copy_n(line_->inbound.begin(), n, buffer.begin());
    line_->inbound.erase(line_->inbound.begin(),
                         line_->inbound.begin() + static_cast<ptrdiff_t>(n));
    return ReadResult{n, OkStatus()};
  }

  Status Write(Bytes data) override {
    rt::LockGuard guard(line_->mu);
    // Recorded even after a close, so that a late write shows in the diff.
    line_->outbound.insert(line_->outbound.end(), data.begin(), data.end());
    line_->changed.notify_all();
    if (line_->closed) return ClosedError("scripted transport closed");
    return OkStatus();
  }

  Status Close() override {
    rt::LockGuard guard(line_->mu);
    line_->closed = true;
    line_->changed.notify_all();
    return OkStatus();
  }

 private:
  std::shared_ptr<detail::Line> line_;
};

size_t WholeFrames(const std::vector<uint8_t>& bytes) { return ParseFrames(bytes).frames.size(); }

std::string StepName(const Step& step) {
  switch (step.action) {
    case Step::Action::kSend:
      return "peer sends frames [" + std::to_string(step.first) + ", " + std::to_string(step.last) +
             ")";
    case Step::Action::kAwaitFrames:
      return "await " + std::to_string(step.frames) + " frames from the C++ side";
    case Step::Action::kAwaitClose:
      return "await the C++ side closing the connection";
    case Step::Action::kHangUp:
      return "peer hangs up";
  }
  return "?";
}

}  // namespace

ScriptedPeer::ScriptedPeer(size_t read_size) : line_(std::make_shared<detail::Line>()) {
  line_->read_size = read_size;
}

ScriptedPeer::~ScriptedPeer() {
  // A test that failed half-way must not leave the C++ side's reader blocked.
  HangUp();
}

std::unique_ptr<rt::Transport> ScriptedPeer::Transport() {
  DRPC_ASSERT(!transport_taken_, "ScriptedPeer::Transport called twice");
  transport_taken_ = true;
  return std::make_unique<ScriptedTransport>(line_);
}

void ScriptedPeer::Send(const std::vector<uint8_t>& bytes) {
  rt::LockGuard guard(line_->mu);
  DRPC_ASSERT(!line_->hung_up, "the peer sends after it hung up");
  line_->inbound.insert(line_->inbound.end(), bytes.begin(), bytes.end());
  line_->changed.notify_all();
}

void ScriptedPeer::HangUp() {
  rt::LockGuard guard(line_->mu);
  line_->hung_up = true;
  line_->changed.notify_all();
}

bool ScriptedPeer::AwaitWritten(size_t frames, rt::TimePoint deadline) {
  rt::Lock lock(line_->mu);
  return line_->changed.wait_until(
      lock, deadline, [&] { return WholeFrames(line_->outbound) >= frames; },
      "interop: the Go peer waits for the C++ side's frames");
}

bool ScriptedPeer::AwaitClosed(rt::TimePoint deadline) {
  rt::Lock lock(line_->mu);
  return line_->changed.wait_until(
      lock, deadline, [&] { return line_->closed; },
      "interop: the Go peer waits for the C++ side to close");
}

std::vector<uint8_t> ScriptedPeer::written() const {
  rt::LockGuard guard(line_->mu);
  return line_->outbound;
}

bool ScriptedPeer::closed_by_cpp() const {
  rt::LockGuard guard(line_->mu);
  return line_->closed;
}

::testing::AssertionResult RunScript(ScriptedPeer& peer, const Capture& peer_capture,
                                     const std::vector<Step>& script, rt::Duration liveness) {
  for (size_t i = 0; i < script.size(); ++i) {
    const Step& step = script[i];
    bool ok = true;
    switch (step.action) {
      case Step::Action::kSend:
        if (step.first > step.last || step.last > peer_capture.frames.size()) {
          return ::testing::AssertionFailure()
                 << "script step " << i << " (" << StepName(step) << ") is outside "
                 << peer_capture.name << ", which has " << peer_capture.frames.size() << " frames";
        }
        peer.Send(peer_capture.Slice(step.first, step.last));
        break;
      case Step::Action::kAwaitFrames:
        ok = peer.AwaitWritten(step.frames, rt::now() + liveness);
        break;
      case Step::Action::kAwaitClose:
        ok = peer.AwaitClosed(rt::now() + liveness);
        break;
      case Step::Action::kHangUp:
        peer.HangUp();
        break;
    }
    if (!ok) {
      const ParsedFrames written = ParseFrames(peer.written());
      ::testing::AssertionResult failure = ::testing::AssertionFailure();
      failure << "script step " << i << " (" << StepName(step) << ": " << step.why
              << ") timed out; the C++ side had written:\n";
      for (const WireFrame& frame : written.frames) failure << "  " << Describe(frame) << "\n";
      if (written.frames.empty()) failure << "  (no frames)\n";
      return failure;
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace drpc::interop
