// rpc::CancelToken: cancels calls from another task (the stand-in for a Go
// context's cancel function). Copies share one state and cancel together.
//
//   rpc::CancelToken token;
//   rt::Task t = rt::spawn("canceler", [token] { rt::sleep_for(10ms); token.Cancel(); });
//   Status st = conn.Invoke(rpc, in, out, {.cancel = token});  // kCanceled
//
// Canceling soft-cancels the stream of every call using the token, now or
// later; the connection and its other calls are untouched. A call started
// with a canceled token fails at once without touching the wire. How the
// callbacks run: docs/rpc.md, "Cancellation".
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
#include "drpc/rt/signal.h"

namespace drpc::rpc {

class CancelToken {
  struct State;  // shared by the copies of a token and its registrations

 public:
  // A fresh, uncanceled token.
  CancelToken();

  // Cancels with `err` (not ok; kCanceled unless the caller says otherwise)
  // and runs every registered callback on this task. Returns true if this
  // call canceled the token, false if it already was.
  bool Cancel(Status err = CanceledError()) const;
  bool canceled() const;
  // The error it was canceled with; ok while it is not.
  Status err() const;
  // Set when the token is canceled (for wait / wait_any).
  rt::Signal& signal() const;

  // Keeps a callback registered; Reset or destruction unregisters it.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept;
    Registration& operator=(Registration&& other) noexcept;
    ~Registration() { Reset(); }

    // Unregisters; waits while Cancel is running this callback (so never
    // call it from the callback itself).
    void Reset();
    bool active() const { return id_ != 0; }

   private:
    friend class CancelToken;
    Registration(std::shared_ptr<State> state, uint64_t id) : state_(std::move(state)), id_(id) {}
    std::shared_ptr<State> state_;
    uint64_t id_ = 0;
  };

  // Runs `on_cancel(err)` when the token is canceled: at once, on this
  // task, if it already is (the returned registration is then inactive);
  // otherwise later, on the canceling task, unless the registration was
  // reset first. The callback must not block for long or call Cancel.
  [[nodiscard]] Registration OnCancel(UniqueFunction<void(const Status&)> on_cancel) const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace drpc::rpc
