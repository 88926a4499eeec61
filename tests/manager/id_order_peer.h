// The wire check for "new stream ids are strictly increasing" (Go closes a
// connection on "id monotonicity violation"), on either backend: a raw
// server that answers every unary call and records the first stream whose
// first frame came after a frame of a higher id, and client tasks that make
// calls on one Manager at once. With `one_stream_at_a_time` the peer acts
// as Go's upstream server (storj.io/drpc), which does not multiplex: a new
// stream arriving while one is open cancels the open one locally and
// nothing is ever sent for it.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/buffer.h"
#include "drpc/manager/internal/transport_source.h"
#include "drpc/manager/manager.h"
#include "drpc/rt/task.h"
#include "drpc/rt/transport.h"
#include "drpc/stream/codec.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/reader.h"

namespace drpc::manager::testing {

class IdOrderPeer {
 public:
  explicit IdOrderPeer(std::unique_ptr<rt::Transport> transport, bool one_stream_at_a_time = false)
      : transport_(std::move(transport)), one_stream_at_a_time_(one_stream_at_a_time) {}

  // Reads until the connection ends, answering each CloseSend with one
  // Message and a CloseSend of its own.
  void Serve() {
    TransportSource source(*transport_);
    wire::FrameReader reader(source);
    for (;;) {
      Result<wire::Frame> f = reader.ReadFrame();
      if (!f.ok()) return;
      const uint64_t sid = f->stream_id;
      if (seen_.insert(sid).second) {
        if (sid <= highest_ && violation_.empty()) {
          violation_ = "stream " + std::to_string(sid) + " first reached the wire after stream " +
                       std::to_string(highest_);
        }
        highest_ = std::max(highest_, sid);
        if (one_stream_at_a_time_ && open_ != 0) dropped_.insert(open_);
        open_ = sid;
      }
      if (f->kind == wire::ToRaw(wire::Kind::kCloseSend) && dropped_.count(sid) == 0) {
        if (open_ == sid) open_ = 0;
        Buffer out;
        wire::AppendFrame(out, wire::Frame{sid, 1, wire::ToRaw(wire::Kind::kMessage), true, false,
                                           AsBytes(std::string_view("ok"))});
        wire::AppendFrame(
            out, wire::Frame{sid, 2, wire::ToRaw(wire::Kind::kCloseSend), true, false, {}});
        if (!transport_->Write(out.view()).ok()) return;
      }
    }
  }
  void Close() { (void)transport_->Close(); }

  const std::string& violation() const { return violation_; }
  size_t streams() const { return seen_.size(); }

 private:
  std::unique_ptr<rt::Transport> transport_;
  const bool one_stream_at_a_time_;
  uint64_t open_ = 0;           // the stream being served (one_stream_at_a_time_)
  std::set<uint64_t> dropped_;  // canceled by a newer stream: never answered
  std::set<uint64_t> seen_;
  uint64_t highest_ = 0;
  std::string violation_;
};

// `tasks` tasks make `calls` unary calls each on `client`; returns how many
// failed.
inline int CallConcurrently(Manager& client, int tasks, int calls,
                            rt::Duration timeout = rt::Duration::max()) {
  std::vector<int> failed(static_cast<size_t>(tasks), 0);
  std::vector<rt::Task> callers;
  for (int t = 0; t < tasks; ++t) {
    callers.push_back(rt::spawn("caller " + std::to_string(t), [&, t] {
      for (int c = 0; c < calls; ++c) {
        ClientStreamOptions options;
        if (timeout != rt::Duration::max()) options.deadline = rt::now() + timeout;
        Result<std::shared_ptr<Stream>> s = client.NewClientStream(options);
        std::string reply;
        const bool ok = s.ok() && (*s)->WriteInvoke("/id/Order").ok() &&
                        (*s)->MsgSendAndCloseSend(std::string("x"), stream::BytesCodec{}).ok() &&
                        (*s)->MsgRecv(reply, stream::BytesCodec{}).ok() && reply == "ok";
        if (s.ok()) (void)(*s)->Close();
        failed[static_cast<size_t>(t)] += ok ? 0 : 1;
      }
    }));
  }
  int total = 0;
  for (size_t t = 0; t < callers.size(); ++t) {
    callers[t].join();
    total += failed[t];
  }
  return total;
}

}  // namespace drpc::manager::testing
