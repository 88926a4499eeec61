// A listener that plays a script of Accept results, then blocks until
// Close; it records when each Accept was called. Built on rt only, so it
// serves the OS and the simulator tests of the accept loop.
#pragma once

#include <deque>
#include <memory>
#include <utility>
#include <vector>

#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/listener.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"

namespace drpc::rpc::testing {

class ScriptedListener final : public rt::Listener {
 public:
  void Push(Result<std::unique_ptr<rt::Transport>> r) { script_.push_back(std::move(r)); }

  Result<std::unique_ptr<rt::Transport>> Accept() override {
    rt::Lock lock(mu_);
    accept_times_.push_back(rt::now());
    if (!closed_ && !script_.empty()) {
      Result<std::unique_ptr<rt::Transport>> next = std::move(script_.front());
      script_.pop_front();
      return next;
    }
    cv_.wait(
        lock, [&] { return closed_; }, "scripted accept");
    return ClosedError("scripted listener closed");
  }
  Status Close() override {
    rt::LockGuard guard(mu_);
    closed_ = true;
    cv_.notify_all();
    return OkStatus();
  }
  std::vector<rt::TimePoint> accept_times() {
    rt::LockGuard guard(mu_);
    return accept_times_;
  }
  size_t accepts() {
    rt::LockGuard guard(mu_);
    return accept_times_.size();
  }

 private:
  rt::Mutex mu_{"scripted"};
  rt::CondVar cv_{"scripted.cv"};
  bool closed_ = false;
  std::deque<Result<std::unique_ptr<rt::Transport>>> script_;
  std::vector<rt::TimePoint> accept_times_;
};

// What a listener out of descriptors reports: a temporary accept error.
inline Status Emfile() { return ResourceExhaustedError("accept: too many open files"); }

}  // namespace drpc::rpc::testing
