#include "drpc/rpc/cancel.h"

#include <map>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"

namespace drpc::rpc {

// Calls using one token at once. A program that reaches it leaks
// registrations (or should use more tokens).
inline constexpr size_t kMaxRegistrations = size_t{1} << 20;

struct CancelToken::State {
  rt::Signal signal{"cancel_token"};
  rt::Mutex mu{"cancel_token.mu"};
  rt::CondVar callback_done{"cancel_token.callback_done"};
  bool canceled = false;                                            // guarded by mu
  Status err;                                                       // guarded by mu
  uint64_t next_id = 1;                                             // guarded by mu
  uint64_t running = 0;                                             // guarded by mu: 0 = none
  std::map<uint64_t, UniqueFunction<void(const Status&)>> waiting;  // guarded by mu
};

CancelToken::CancelToken() : state_(std::make_shared<State>()) {}

bool CancelToken::Cancel(Status err) const {
  DRPC_ASSERT(!err.ok(), "CancelToken::Cancel needs an error");
  State& s = *state_;
  {
    rt::LockGuard guard(s.mu);
    if (s.canceled) return false;
    s.canceled = true;
    s.err = err;
  }
  s.signal.set(err);
  // Later registrations run inline (OnCancel sees `canceled`), so the map
  // only shrinks from here: at most its current size iterations.
  rt::Lock lock(s.mu);
  const size_t bound = s.waiting.size();
  for (size_t i = 0; i < bound && !s.waiting.empty(); ++i) {
    auto first = s.waiting.begin();
    const uint64_t id = first->first;
    UniqueFunction<void(const Status&)> callback = std::move(first->second);
    s.waiting.erase(first);
    s.running = id;
    lock.unlock();
    callback(err);
    callback = UniqueFunction<void(const Status&)>();  // its captures die before Reset returns
    lock.lock();
    s.running = 0;
    s.callback_done.notify_all();
  }
  DRPC_ASSERT(s.waiting.empty(), "a callback was registered after the token was canceled");
  return true;
}

bool CancelToken::canceled() const { return state_->signal.is_set(); }

Status CancelToken::err() const { return state_->signal.err(); }

rt::Signal& CancelToken::signal() const { return state_->signal; }

CancelToken::Registration CancelToken::OnCancel(
    UniqueFunction<void(const Status&)> on_cancel) const {
  DRPC_ASSERT(static_cast<bool>(on_cancel), "OnCancel needs a callback");
  State& s = *state_;
  Status err;
  {
    rt::LockGuard guard(s.mu);
    if (!s.canceled) {
      DRPC_ASSERT(s.waiting.size() < kMaxRegistrations,
                  "too many calls registered on one CancelToken (leaked registrations?)");
      const uint64_t id = s.next_id++;
      s.waiting.emplace(id, std::move(on_cancel));
      return Registration(state_, id);
    }
    err = s.err;
  }
  on_cancel(err);
  return Registration();
}

CancelToken::Registration::Registration(Registration&& other) noexcept
    : state_(std::move(other.state_)), id_(std::exchange(other.id_, 0)) {}

CancelToken::Registration& CancelToken::Registration::operator=(Registration&& other) noexcept {
  if (this == &other) return *this;
  Reset();
  state_ = std::move(other.state_);
  id_ = std::exchange(other.id_, 0);
  return *this;
}

void CancelToken::Registration::Reset() {
  if (id_ == 0) return;
  State& s = *state_;
  rt::Lock lock(s.mu);
  s.callback_done.wait(
      lock, [&] { return s.running != id_; },
      "CancelToken: Reset waits for its callback to return");
  s.waiting.erase(id_);
  lock.unlock();
  id_ = 0;
  state_.reset();
}

}  // namespace drpc::rpc
