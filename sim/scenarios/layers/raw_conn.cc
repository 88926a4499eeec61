#include "sim/scenarios/layers/raw_conn.h"

#include <array>
#include <chrono>

#include "drpc/rt/rt.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"

namespace drpc::sim::layers {

RawConn::RawConn(std::string name, std::unique_ptr<rt::Transport> transport)
    : name_(std::move(name)), transport_(std::move(transport)), ended_("raw_conn.ended") {
  reader_ = rt::spawn(name_ + ".reader", [this] { ReadLoop(); });
}

RawConn::~RawConn() { Close(); }

Status RawConn::Write(Bytes data) { return transport_->Write(data); }

bool RawConn::WaitEnded(rt::TimePoint deadline) {
  return ended_.wait_until(deadline, "raw conn: wait for the other end to close");
}

bool RawConn::WaitMessages(uint64_t stream_id, size_t count, rt::TimePoint deadline) {
  // Polls in virtual time: cheap, deterministic, and needs no signal per
  // packet.
  for (;;) {
    if (messages_[stream_id].size() >= count) return true;
    if (ended_.is_set() || rt::now() >= deadline) return false;
    rt::sleep_for(std::chrono::microseconds(50));
  }
}

void RawConn::Close() {
  if (closed_) return;
  closed_ = true;
  (void)transport_->Close();
  reader_.join();
}

void RawConn::ReadLoop() {
  std::array<uint8_t, 512> chunk{};
  for (;;) {
    ReadResult r = transport_->Read(MutableBytes(chunk.data(), chunk.size()));
    unparsed_.insert(unparsed_.end(), chunk.begin(), chunk.begin() + static_cast<ptrdiff_t>(r.n));
    Parse();
    if (!end_.empty()) break;
    if (!r.err.ok()) {
      end_ = r.err.ToString();
      break;
    }
  }
  ended_.set(OkStatus());
}

void RawConn::Parse() {
  size_t used = 0;
  for (;;) {
    const wire::FrameParse p =
        wire::ParseFrame(Bytes(unparsed_.data() + used, unparsed_.size() - used));
    if (p.status == wire::ParseStatus::kNeedMore) break;
    if (p.status == wire::ParseStatus::kMalformed) {
      end_ = "malformed: " + std::string(p.error);
      break;
    }
    used += p.consumed;
    const wire::Frame& f = p.frame;
    std::string& data = partial_[{f.stream_id, f.message_id}];
    data.append(reinterpret_cast<const char*>(f.data.data()), f.data.size());
    if (!f.done) continue;
    kinds_[f.stream_id].emplace_back(wire::KindName(f.kind));
    if (f.kind == wire::ToRaw(wire::Kind::kMessage)) messages_[f.stream_id].push_back(data);
    partial_.erase({f.stream_id, f.message_id});
  }
  unparsed_.erase(unparsed_.begin(), unparsed_.begin() + static_cast<ptrdiff_t>(used));
}

}  // namespace drpc::sim::layers
