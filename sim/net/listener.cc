#include "sim/net/listener.h"

#include <utility>

#include "drpc/base/check.h"
#include "sim/sched/run.h"

namespace drpc::sim::net {

Listener::Listener(ListenerOptions options)
    : options_(options), mu_("listener.mu"), ready_("listener.ready") {
  DRPC_ASSERT(options_.backlog > 0, "a listener needs a backlog of at least one");
}

Listener::~Listener() {
  // Queued ends close as they are destroyed (inside a run).
}

Result<Dialed> Listener::Dial() { return Dial(options_.pipe); }

Result<Dialed> Listener::Dial(const PipeOptions& pipe) {
  rt::LockGuard guard(mu_);
  if (closed_) return ConnectionError("dial sim: connection refused (listener closed)");
  if (backlog_.size() >= options_.backlog) {
    return ConnectionError("dial sim: connection refused (backlog full)");
  }
  PipeEnds ends = MakePipe(pipe);
  backlog_.push_back(std::move(ends.b));
  ++dialed_;
  ready_.notify_one();
  return Dialed{std::move(ends.a), std::move(ends.pipe)};
}

Result<std::unique_ptr<rt::Transport>> Listener::Accept() {
  rt::Lock lock(mu_);
  if (options_.accept_error_one_in > 0 && !closed_ &&
      sim::Choose(options_.accept_error_one_in, ChoiceKind::kFault) == 1) {
    ++injected_;
    return ResourceExhaustedError("accept sim: too many open files (injected)");
  }
  ready_.wait(
      lock, [&] { return closed_ || !backlog_.empty(); }, "listener: Accept waits for a Dial");
  if (closed_) return ClosedError("accept sim: listener closed");
  std::unique_ptr<rt::Transport> accepted = std::move(backlog_.front());
  backlog_.pop_front();
  return accepted;
}

Status Listener::Close() {
  std::deque<std::unique_ptr<rt::Transport>> dropped;
  {
    rt::LockGuard guard(mu_);
    if (closed_) return OkStatus();
    closed_ = true;
    dropped.swap(backlog_);
    ready_.notify_all();
  }
  for (std::unique_ptr<rt::Transport>& end : dropped) (void)end->Close();
  return OkStatus();
}

uint64_t Listener::dialed() const {
  rt::LockGuard guard(mu_);
  return dialed_;
}

uint64_t Listener::accept_errors_injected() const {
  rt::LockGuard guard(mu_);
  return injected_;
}

}  // namespace drpc::sim::net
