// A fake rt::Transport for writer tests: it records what is written, can
// hold writes at a gate (a peer that stopped reading), fail them on demand,
// and is closed like a socket (Close wakes a held write, which fails). Built
// on rt primitives, so it works in both backends.
#pragma once

#include <cstddef>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/rt/condvar.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/transport.h"

namespace drpc::manager::testing {

class GatedTransport final : public rt::Transport {
 public:
  rt::ReadResult Read(MutableBytes) override {
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

  Status Close() override {
    rt::LockGuard guard(mu_);
    closed_ = true;
    cv_.notify_all();
    return OkStatus();
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

 private:
  mutable rt::Mutex mu_{"gated.mu"};
  rt::CondVar cv_{"gated.cv"};
  bool open_ = true;
  bool closed_ = false;
  Status fail_with_;
  Buffer written_;
  size_t writes_started_ = 0;
  size_t writes_done_ = 0;
};

}  // namespace drpc::manager::testing
