// A fake rt::Transport for writer tests: it records what is written, can
// hold writes at a gate (a peer that stopped reading), fail them on demand,
// and is closed like a socket (Close wakes a held write, which fails). Built
// on rt primitives, so it works in both backends.
//
// TryWrite (the non-blocking write of inline writers) takes everything while
// the gate is open, up to a settable limit per call (a socket buffer with
// that much room); while the gate is shut it takes nothing (a full socket)
// or a settable few bytes (a socket with a little room left); and it can be
// turned off (a transport without a non-blocking path).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/transport.h"

namespace drpc::manager::testing {

class GatedTransport final : public rt::Transport {
 public:
  ReadResult Read(MutableBytes) override {
    rt::Lock lock(mu_);
    cv_.wait(
        lock, [&] { return closed_; }, "gated transport: read waits for close");
    return {0, ClosedError("gated: closed")};
  }

  Status Write(Bytes data) override {
    rt::Lock lock(mu_);
    ++writes_started_;
    cv_.notify_all();
    cv_.wait(
        lock, [&] { return open_ || closed_; }, "gated transport: write waits at the gate");
    if (closed_) return ClosedError("gated: closed during a write");
    if (!fail_with_.ok()) return fail_with_;
    written_.Append(data);
    ++writes_done_;
    cv_.notify_all();
    return OkStatus();
  }

  rt::WriteResult TryWrite(Bytes data) override {
    rt::Lock guard(mu_);
    if (closed_) return {0, ClosedError("gated: closed")};
    if (!fail_with_.ok()) return {0, fail_with_};
    ++try_writes_;
    if (!try_writes_enabled_) return {0, OkStatus()};
    const size_t n = std::min(data.size(), open_ ? try_write_limit_ : shut_try_write_limit_);
    written_.Append(data.first(n));
    cv_.notify_all();
    if (after_try_write_) {
      // Outside the lock: the hook may call back into the writer.
      std::function<void()> hook = std::move(after_try_write_);
      guard.unlock();
      hook();
    }
    return {n, OkStatus()};
  }

  // Runs `hook` once, right after the next TryWrite took its bytes (an
  // event at the exact moment a caller is inside its inline write).
  void AfterNextTryWrite(std::function<void()> hook) {
    rt::LockGuard guard(mu_);
    after_try_write_ = std::move(hook);
  }

  Status Close() override {
    rt::LockGuard guard(mu_);
    closed_ = true;
    cv_.notify_all();
    return OkStatus();
  }

  // TryWrite takes at most `limit` bytes per call while the gate is open,
  // `limit_while_shut` while it is shut; disabled: none at all.
  void SetTryWrites(bool enabled, size_t limit = SIZE_MAX, size_t limit_while_shut = 0) {
    rt::LockGuard guard(mu_);
    try_writes_enabled_ = enabled;
    try_write_limit_ = limit;
    shut_try_write_limit_ = limit_while_shut;
  }

  void SetOpen(bool open) {
    rt::LockGuard guard(mu_);
    open_ = open;
    cv_.notify_all();
  }
  void FailWrites(Status err) {
    rt::LockGuard guard(mu_);
    fail_with_ = std::move(err);
    cv_.notify_all();
  }
  // Blocks until `n` writes have started (reached the gate).
  void WaitWritesStarted(size_t n) {
    rt::Lock lock(mu_);
    cv_.wait(
        lock, [&] { return writes_started_ >= n; }, "gated transport: wait for writes");
  }
  void WaitBytesWritten(size_t n) {
    rt::Lock lock(mu_);
    cv_.wait(
        lock, [&] { return written_.size() >= n; }, "gated transport: wait for bytes");
  }
  Buffer TakeWritten() {
    rt::LockGuard guard(mu_);
    Buffer out = std::move(written_);
    return out;
  }
  size_t writes_done() const {
    rt::LockGuard guard(mu_);
    return writes_done_;
  }
  size_t writes_started() const {
    rt::LockGuard guard(mu_);
    return writes_started_;
  }
  size_t try_writes() const {
    rt::LockGuard guard(mu_);
    return try_writes_;
  }

 private:
  mutable rt::Mutex mu_{"gated.mu"};
  rt::CondVar cv_{"gated.cv"};
  bool open_ = true;
  bool closed_ = false;
  Status fail_with_;
  Buffer written_;
  size_t writes_started_ = 0;
  size_t writes_done_ = 0;
  size_t try_writes_ = 0;  // TryWrite calls that got past the close and failure checks
  bool try_writes_enabled_ = true;
  size_t try_write_limit_ = SIZE_MAX;
  size_t shut_try_write_limit_ = 0;
  std::function<void()> after_try_write_;
};

}  // namespace drpc::manager::testing
