#include "sim/peers/hostile_peer.h"

#include <algorithm>
#include <string>
#include <utility>

#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/rt/task.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "sim/peers/frame_mutations.h"
#include "sim/sched/run.h"

namespace drpc::sim::peers {
namespace {

constexpr size_t kReadSize = 4096;
// The reader stops parsing (but keeps draining) past this many unparsed
// bytes: the server never sends frames this large in these scenarios.
constexpr size_t kMaxUnparsed = size_t{1} << 20;

Bytes AsBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

uint64_t PeerReport::errors_received() const {
  uint64_t n = 0;
  for (const auto& [code, count] : error_codes) n += count;
  return n;
}

HostilePeer::HostilePeer(std::unique_ptr<rt::Transport> transport, PeerOptions options)
    : transport_(std::move(transport)), options_(std::move(options)) {
  DRPC_ASSERT(!options_.behaviours.empty(), "a hostile peer needs at least one behaviour");
  DRPC_ASSERT(options_.max_actions >= 1 && options_.min_flood >= 1 &&
                  options_.min_flood <= options_.max_flood &&
                  options_.max_idle >= std::chrono::milliseconds(1),
              "hostile peer options out of range");
}

HostilePeer::~HostilePeer() = default;

uint64_t HostilePeer::Draw(uint64_t n) const { return sim::Choose(n, ChoiceKind::kWorkload); }

uint64_t HostilePeer::FreshId() {
  if (options_.role == PeerRole::kServer && last_client_id_ != 0) return last_client_id_;
  return next_id_++;
}

bool HostilePeer::Released() const {
  return options_.release != nullptr && options_.release->is_set();
}

void HostilePeer::Pause(rt::Duration d) {
  if (options_.release != nullptr) {
    (void)options_.release->wait_until(rt::now() + d, "hostile peer: pauses");
  } else {
    rt::sleep_for(d);
  }
}

bool HostilePeer::Write(Bytes data) {
  if (!report_.write_error.ok()) return false;
  if (data.empty()) return true;
  Status st = transport_->Write(data);
  if (!st.ok()) {
    report_.write_error = std::move(st);
    return false;
  }
  report_.bytes_written += data.size();
  return true;
}

void HostilePeer::Run() {
  switch (options_.reads) {
    case Reads::kDrawn:
      report_.reads = Draw(4) != 0;  // a quarter never read
      break;
    case Reads::kAlways:
      report_.reads = true;
      break;
    case Reads::kNever:
      report_.reads = false;
      break;
  }
  const size_t actions = 1 + Draw(options_.max_actions);
  for (size_t i = 0; i < actions; ++i) {
    report_.program.push_back(options_.behaviours.Nth(Draw(options_.behaviours.size())));
  }
  rt::Task reader;
  if (report_.reads) reader = rt::spawn(options_.name + ".reader", [this] { ReadLoop(); });
  for (Behaviour b : report_.program) {
    if (!report_.write_error.ok() || Released()) break;
    ++report_.actions[static_cast<size_t>(b)];
    Perform(b);
  }
  // Hold the connection until released, or until the server closes it (a
  // reading peer sees that; one that never reads cannot).
  if (options_.release != nullptr) {
    if (report_.reads) {
      (void)rt::wait_any({options_.release, &read_done_}, "hostile peer: holds its connection");
    } else {
      options_.release->wait("hostile peer: holds its connection, never reading");
    }
  }
  (void)transport_->Close();
  if (reader.joinable()) reader.join();
}

void HostilePeer::Perform(Behaviour behaviour) {
  Buffer out;
  switch (behaviour) {
    case Behaviour::kValidCall: {
      if (options_.role == PeerRole::kServer) {  // a reply: the call's message, then the end
        const uint64_t id = FreshId();
        AppendFrame(out, id, 1, wire::ToRaw(wire::Kind::kMessage), AsBytes("v"));
        AppendFrame(out, id, 2, wire::ToRaw(wire::Kind::kCloseSend), Bytes());
        break;
      }
      wire::Metadata md;
      if (Draw(2) == 1) md["x-hostile"] = std::to_string(Draw(100));
      AppendUnaryCall(
          out, {.stream_id = FreshId(), .rpc = options_.rpc, .request = "v", .metadata = &md});
      break;
    }
    case Behaviour::kGarbage: {
      const size_t n = 1 + Draw(64);
      for (size_t i = 0; i < n; ++i) out.PushBack(static_cast<uint8_t>(Draw(256)));
      break;
    }
    case Behaviour::kTruncatedFrame: {
      Buffer whole;
      const UnaryCall call{.stream_id = FreshId(), .rpc = options_.rpc, .request = "t"};
      AppendUnaryCall(whole, call);
      AppendTruncated(out, call, 1 + Draw(whole.size() - 1));
      break;
    }
    case Behaviour::kOverlongVarint:
      AppendOverlongVarint(out);
      break;
    case Behaviour::kHugeLength: {
      const uint64_t declared[] = {options_.max_frame_size + 1, uint64_t{1} << 32,
                                   uint64_t{1} << 63, ~uint64_t{0}};
      AppendHugeLength(out, FreshId(), declared[Draw(4)], Draw(64));
      break;
    }
    case Behaviour::kStreamIdZero: {
      const wire::Kind kinds[] = {wire::Kind::kInvoke, wire::Kind::kMessage, wire::Kind::kClose};
      AppendFrame(out, 0, 1, wire::ToRaw(kinds[Draw(3)]), AsBytes(options_.rpc));
      break;
    }
    case Behaviour::kReusedId: {
      // A valid call first, then one on an id used before it.
      const uint64_t first = FreshId();
      AppendUnaryCall(out, {.stream_id = first, .rpc = options_.rpc, .request = "r"});
      AppendUnaryCall(out, {.stream_id = 1 + Draw(first), .rpc = options_.rpc, .request = "r"});
      break;
    }
    case Behaviour::kDecreasingId: {
      // Jump ahead, then come back below: the lower id is new (a gap) or,
      // if the draw says so, one already used.
      const uint64_t high = next_id_ + 1 + Draw(8);
      AppendUnaryCall(out, {.stream_id = high, .rpc = options_.rpc, .request = "h"});
      const uint64_t low = Draw(2) == 0 ? high - 1 : 1 + Draw(high - 1);
      AppendUnaryCall(out, {.stream_id = low, .rpc = options_.rpc, .request = "l"});
      next_id_ = high + 1;
      break;
    }
    case Behaviour::kUnfinishedPacket: {
      const uint64_t id = FreshId();
      if (Draw(2) == 0) {
        AppendUnfinished(out, id, 1, wire::Kind::kInvoke, AsBytes(options_.rpc));
      } else {
        AppendFrame(out, id, 1, wire::ToRaw(wire::Kind::kInvoke), AsBytes(options_.rpc));
        AppendUnfinished(out, id, 2, wire::Kind::kMessage, AsBytes("partial message"));
      }
      break;
    }
    case Behaviour::kKindChange:
      AppendKindChange(out, FreshId(), options_.rpc);
      break;
    case Behaviour::kUnknownKind: {
      const uint8_t kind = static_cast<uint8_t>(9 + Draw(wire::kMaxKind - 8));
      const uint64_t id = next_id_ > 1 && Draw(2) == 0 ? next_id_ - 1 : FreshId();
      AppendFrame(out, id, 1 + Draw(4), kind, AsBytes("?"), true, Draw(2) == 1);
      break;
    }
    case Behaviour::kInvokeFlood: {
      const size_t n = options_.min_flood + Draw(options_.max_flood - options_.min_flood + 1);
      for (size_t i = 0; i < n; ++i) {
        AppendUnaryCall(out, {.stream_id = FreshId(), .rpc = options_.rpc, .request = "f"});
      }
      break;
    }
    case Behaviour::kMetadataAtLimit:
    case Behaviour::kMetadataOverLimit: {
      const size_t size =
          options_.max_invoke_bytes + (behaviour == Behaviour::kMetadataOverLimit ? 1 : 0);
      const wire::Metadata md = MetadataOfEncodedSize(size);
      AppendUnaryCall(
          out, {.stream_id = FreshId(), .rpc = options_.rpc, .request = "m", .metadata = &md});
      break;
    }
    case Behaviour::kSlowloris: {
      const std::string request(options_.slowloris_bytes, 's');
      AppendUnaryCall(out, {.stream_id = FreshId(), .rpc = options_.rpc, .request = request});
      const size_t n = std::min(out.size() - 1, options_.slowloris_bytes);
      for (size_t i = 0; i < n && !Released(); ++i) {
        if (!Write(Bytes(out.data() + i, 1))) return;
        Pause(options_.slowloris_period);
      }
      return;  // the rest of the call never comes
    }
    case Behaviour::kMessageFlood: {
      const uint64_t id = FreshId();
      AppendFrame(out, id, 1, wire::ToRaw(wire::Kind::kInvoke), AsBytes(options_.rpc));
      const std::string message(options_.flood_message_bytes, 'm');
      for (uint64_t m = 0; m <= options_.flood_messages; ++m) {
        AppendFrame(out, id, 2 + m, wire::ToRaw(wire::Kind::kMessage), AsBytes(message));
      }
      break;
    }
    case Behaviour::kIdle:
      Pause(std::chrono::milliseconds(
          1 +
          Draw(static_cast<uint64_t>(
              std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_idle).count()))));
      return;
  }
  (void)Write(out.view());
}

void HostilePeer::ReadLoop() {
  uint8_t buffer[kReadSize];
  for (;;) {
    ReadResult r = transport_->Read(MutableBytes(buffer, sizeof buffer));
    report_.bytes_read += r.n;
    if (!parse_broken_) {
      unparsed_.insert(unparsed_.end(), buffer, buffer + r.n);
      Parse();
    }
    if (!r.err.ok()) {
      report_.read_error = std::move(r.err);
      break;
    }
  }
  read_done_.set(OkStatus());
}

void HostilePeer::Parse() {
  size_t begin = 0;
  for (;;) {
    const wire::FrameParse p =
        wire::ParseFrame(Bytes(unparsed_.data() + begin, unparsed_.size() - begin));
    if (p.status == wire::ParseStatus::kNeedMore) break;
    if (p.status == wire::ParseStatus::kMalformed) {
      parse_broken_ = true;
      break;
    }
    begin += p.consumed;
    if (p.frame.kind == wire::ToRaw(wire::Kind::kInvoke)) {
      last_client_id_ = std::max(last_client_id_, p.frame.stream_id);
    }
    // Counts whole packets: single-frame replies, as the server sends here.
    if (!p.frame.done) continue;
    if (p.frame.kind == wire::ToRaw(wire::Kind::kMessage)) ++report_.messages_received;
    if (p.frame.kind == wire::ToRaw(wire::Kind::kError)) {
      ++report_.error_codes[wire::DecodeErrorPayload(p.frame.data).code];
    }
  }
  unparsed_.erase(unparsed_.begin(), unparsed_.begin() + static_cast<std::ptrdiff_t>(begin));
  if (unparsed_.size() > kMaxUnparsed) parse_broken_ = true;
}

}  // namespace drpc::sim::peers
