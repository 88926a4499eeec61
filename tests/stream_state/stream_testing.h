// Test helpers for the stream state machine: a FrameSink that records what a
// stream writes (and can stall or fail on demand), a harness that owns a
// stream with its pool, and the shared hex helpers (tests/common). Written
// on rt only, so the same helpers run on OS threads and in the simulator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/check.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/rt/atomic.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/frame_sink.h"
#include "drpc/stream/stream.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "tests/common/frame_copy.h"
#include "tests/common/hex.h"

namespace drpc::stream::testing {

using ::drpc::testing::Hex;
using ::drpc::testing::ToHex;

// One frame the sink accepted, with its own copy of the data.
struct RecordedFrame : drpc::testing::FrameCopy {
  bool had_cancel = false;  // the stream passed a cancel signal with it
  bool burst = false;       // it came through QueueFrame, not WriteFrame
};

class FakeSink final : public FrameSink {
 public:
  enum class Mode : uint8_t {
    kAccept,        // take every frame at once
    kBackPressure,  // like a full MuxWriter: a frame without the control bit
                    // waits for Release() or its cancel signal
    kStuck,         // every frame waits for Release(), whatever its cancel
                    // (a writer stuck in the transport)
  };

  explicit FakeSink(Mode mode = Mode::kAccept) : mode_(mode) {}

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override {
    return Take(frame, cancel, /*burst=*/false);
  }
  Status QueueFrame(const wire::Frame& frame, rt::Signal* cancel) override {
    return Take(frame, cancel, /*burst=*/true);
  }

  // Every later WriteFrame returns `err` without taking the frame.
  void FailWith(Status err) {
    rt::LockGuard lock(mu_);
    fail_with_ = std::move(err);
  }
  // Lets every waiting and later frame through (one-shot).
  void Release() { released_.set(OkStatus()); }
  // Set once a frame started waiting.
  rt::Signal& waiting() { return waiting_; }

  std::vector<RecordedFrame> frames() const {
    rt::LockGuard lock(mu_);
    return frames_;
  }
  std::vector<uint8_t> bytes() const {
    rt::LockGuard lock(mu_);
    return std::vector<uint8_t>(encoded_.view().begin(), encoded_.view().end());
  }
  size_t calls() const {
    rt::LockGuard lock(mu_);
    return calls_;
  }

 private:
  Status Take(const wire::Frame& frame, rt::Signal* cancel, bool burst) {
    {
      rt::LockGuard lock(mu_);
      ++calls_;
      if (!fail_with_.ok()) return fail_with_;
    }
    const bool waits = mode_ == Mode::kStuck || (mode_ == Mode::kBackPressure && !frame.control);
    if (waits && !released_.is_set()) {
      waiting_.set(OkStatus());
      if (cancel != nullptr && mode_ == Mode::kBackPressure) {
        const size_t first = rt::wait_any({&released_, cancel}, "fake sink: back-pressure");
        if (first == 1 && !released_.is_set()) return cancel->err();
      } else {
        released_.wait("fake sink: stuck");
      }
    }
    rt::LockGuard lock(mu_);
    if (!fail_with_.ok()) return fail_with_;  // failed while this frame waited
    wire::AppendFrame(encoded_, frame);
    frames_.push_back(RecordedFrame{drpc::testing::FrameCopy::Of(frame), cancel != nullptr, burst});
    return OkStatus();
  }

  const Mode mode_;
  mutable rt::Mutex mu_{"fake sink"};
  rt::Signal released_{"fake sink released"};
  rt::Signal waiting_{"fake sink waiting"};
  Status fail_with_;                   // guarded by mu_
  std::vector<RecordedFrame> frames_;  // guarded by mu_
  Buffer encoded_;                     // guarded by mu_
  size_t calls_ = 0;                   // guarded by mu_
};

// A stream with its own pool and sink, and the peer's side of the wire:
// Deliver() hands the stream frames as the connection's reader would.
struct Harness {
  explicit Harness(uint64_t id = 1, Role role = Role::kClient, StreamOptions options = {},
                   FakeSink::Mode mode = FakeSink::Mode::kAccept)
      : pool(BufferPool::Create()), sink(mode) {
    stream = std::make_shared<Stream>(StreamConfig{
        .id = id,
        .role = role,
        .pool = pool,
        .sink = sink,
        .options = std::move(options),
        .on_finished = [this] { finished_calls.fetch_add(1); },
    });
  }
  ~Harness() {
    stream.reset();
    pool->CheckAllReturned();
  }

  // A one-frame packet from the peer with the next incoming message id.
  Status Deliver(wire::Kind kind, std::string_view data = {}, bool control = false) {
    return DeliverRaw(wire::ToRaw(kind), data, control);
  }
  Status DeliverRaw(uint8_t kind, std::string_view data, bool control) {
    const wire::Frame frame{.stream_id = stream->id(),
                            .message_id = ++next_in_id,
                            .kind = kind,
                            .done = true,
                            .control = control,
                            .data = AsBytes(data)};
    return stream->HandleFrame(frame);
  }
  Status DeliverError(uint64_t code, std::string_view text) {
    Buffer payload;
    wire::EncodeErrorPayload(payload, code, text);
    return DeliverRaw(wire::ToRaw(wire::Kind::kError), AsStringView(payload.view()), false);
  }

  // The next receive as text, or its error.
  Result<std::string> Recv() {
    Result<Buffer> b = stream->RawRecv();
    if (!b.ok()) return b.status();
    return ToString(b->view());
  }
  Status Send(std::string_view data) {
    return stream->RawWrite(wire::Kind::kMessage, AsBytes(data));
  }

  std::shared_ptr<BufferPool> pool;
  FakeSink sink;
  std::shared_ptr<Stream> stream;
  rt::Atomic<int> finished_calls{0, "finished calls"};
  uint64_t next_in_id = 0;
};

}  // namespace drpc::stream::testing
