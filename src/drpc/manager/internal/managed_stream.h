// ManagedStream: a Stream as its manager makes it, with the hooks that tie it
// to the connection: the count of the connection's live Stream objects and
// the way out of the stream table when it finishes. Internal to the manager
// (docs/manager.md, "The stream table").
#pragma once

#include <cstdint>
#include <memory>

#include "drpc/manager/internal/open_order.h"
#include "drpc/manager/internal/stream_recycler.h"
#include "drpc/manager/internal/stream_table.h"
#include "drpc/rt/atomic.h"
#include "drpc/stream/stream.h"

namespace drpc::manager {

// How many of a connection's Stream objects are still alive (destroyed,
// not merely finished): the ledger is checked only once this is 0.
struct LiveStreams {
  rt::Atomic<int64_t> count{0, "manager.live_streams"};
};

// A base of ManagedStream declared before Stream, so the live count drops
// only after ~Stream (its ring and queued buffers gone).
class StreamHooks : public stream::FinishObserver {
 public:
  // `order`: a client stream's id order (null on a server).
  StreamHooks(std::shared_ptr<LiveStreams> live, std::weak_ptr<StreamTable> table,
              std::weak_ptr<OpenOrder> order);
  ~StreamHooks();
  StreamHooks(const StreamHooks&) = delete;
  StreamHooks& operator=(const StreamHooks&) = delete;

  // The stream leaves the table when it finishes; no task per stream.
  void OnStreamFinished(stream::Stream& stream) override;

 private:
  const std::shared_ptr<LiveStreams> live_;
  // Weak: the table outlives the manager only while a stream still runs,
  // which Close rules out (and the sealed table reports).
  const std::weak_ptr<StreamTable> table_;
  const std::weak_ptr<OpenOrder> order_;
};

// The Stream and its hooks in one allocation (with allocate_shared, the
// control block too: a block the connection's StreamRecycler keeps for
// the next stream).
class ManagedStream final : private StreamHooks, public stream::Stream {
 public:
  // `recycler` (may be null) keeps the marshal buffer when it is destroyed.
  ManagedStream(std::shared_ptr<LiveStreams> live, std::weak_ptr<StreamTable> table,
                std::weak_ptr<OpenOrder> order, std::shared_ptr<StreamRecycler> recycler,
                stream::StreamConfig config)
      : StreamHooks(std::move(live), std::move(table), std::move(order)),
        Stream(WithObserver(std::move(config), this)),
        recycler_(std::move(recycler)) {}
  ~ManagedStream() {
    if (recycler_ != nullptr) recycler_->KeepMarshalBuffer(TakeMarshalBuffer());
  }
  ManagedStream(const ManagedStream&) = delete;
  ManagedStream& operator=(const ManagedStream&) = delete;

 private:
  static stream::StreamConfig WithObserver(stream::StreamConfig config, StreamHooks* hooks) {
    config.finish_observer = hooks;
    return config;
  }

  const std::shared_ptr<StreamRecycler> recycler_;
};

}  // namespace drpc::manager
