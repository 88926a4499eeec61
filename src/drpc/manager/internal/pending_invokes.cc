#include "drpc/manager/internal/pending_invokes.h"

#include <utility>

#include "drpc/base/check.h"
#include "drpc/wire/kind.h"

namespace drpc::manager {

using wire::Kind;
using wire::ToRaw;

bool IsInvokeKind(uint8_t kind) {
  return kind == ToRaw(Kind::kInvoke) || kind == ToRaw(Kind::kInvokeMetadata);
}

namespace {

// The last frame of an invoke sequence: the Invoke packet's done frame.
bool EndsInvokeSequence(const wire::Frame& frame) {
  return frame.kind == ToRaw(Kind::kInvoke) && frame.done;
}

InvokeStep Step(InvokeStep::Kind kind, uint64_t stream_id) {
  InvokeStep step;
  step.kind = kind;
  step.stream_id = stream_id;
  return step;
}

}  // namespace

PendingInvokes::PendingInvokes(PendingInvokesOptions options) : options_(options) {
  DRPC_ASSERT(options_.max_entries > 0, "the pending-invoke table needs room for one entry");
  DRPC_ASSERT(options_.max_packet_bytes > 0, "invoke packets need a positive size bound");
}

bool PendingInvokes::Tracks(uint64_t stream_id) const {
  return entries_.contains(stream_id) || refused_.contains(stream_id);
}

Result<InvokeStep> PendingInvokes::Refuse(const wire::Frame& frame, std::string reason) {
  DRPC_ASSERT(!entries_.contains(frame.stream_id), "a refused id has no entry");
  if (!EndsInvokeSequence(frame)) {
    if (refused_.size() >= options_.max_entries) {
      return ResourceExhaustedError("too many refused invokes left unfinished (more than " +
                                    std::to_string(options_.max_entries) + ")");
    }
    refused_.insert(frame.stream_id);
  }
  InvokeStep step = Step(InvokeStep::Kind::kRefuse, frame.stream_id);
  step.reason = std::move(reason);
  return step;
}

Result<InvokeStep> PendingInvokes::Append(const wire::Frame& frame) {
  DRPC_ASSERT(IsInvokeKind(frame.kind), "only invoke frames go to the pending table");
  DRPC_ASSERT(frame.stream_id != 0, "stream id 0 is refused before the pending table");
  const uint64_t sid = frame.stream_id;
  if (refused_.contains(sid)) {
    if (EndsInvokeSequence(frame)) refused_.erase(sid);
    return Step(InvokeStep::Kind::kDropped, sid);
  }
  auto it = entries_.find(sid);
  if (it == entries_.end()) {
    if (entries_.size() >= options_.max_entries) {
      return Refuse(frame, "drpc: too many streams being opened at once (limit " +
                               std::to_string(options_.max_entries) + ")");
    }
    if (EndsInvokeSequence(frame)) {
      // A whole invoke in one frame with nothing before it (the common
      // case): the same steps on an entry that never enters the table, so
      // no allocation for it.
      Entry entry(options_);
      Feeding fed = Feed(entry, frame);
      if (fed.too_large) return RefuseTooLarge(frame);
      DRPC_ASSERT(!fed.step.ok() || fed.finished, "a whole invoke frame ends its sequence");
      return std::move(fed.step);
    }
    it = AddEntry(sid);
  }
  Feeding fed = Feed(it->second, frame);
  if (fed.finished || fed.too_large) RemoveEntry(it);
  if (fed.too_large) return RefuseTooLarge(frame);
  return std::move(fed.step);
}

PendingInvokes::Entries::iterator PendingInvokes::AddEntry(uint64_t sid) {
  if (spare_entry_.empty()) return entries_.emplace(sid, Entry(options_)).first;
  spare_entry_.key() = sid;
  Entries::insert_return_type added = entries_.insert(std::move(spare_entry_));
  DRPC_ASSERT(added.inserted, "a new pending invoke's id is not in the table");
  return added.position;
}

void PendingInvokes::RemoveEntry(Entries::iterator it) {
  Entries::node_type node = entries_.extract(it);
  if (!spare_entry_.empty()) return;  // freed
  // Reset now, so the spare holds no partial packet (and no metered bytes).
  Entry& entry = node.mapped();
  entry.assembler = Entry(options_).assembler;
  entry.metadata.clear();
  spare_entry_ = std::move(node);
}

Result<InvokeStep> PendingInvokes::RefuseTooLarge(const wire::Frame& frame) {
  return Refuse(frame, "drpc: invoke too large (limit " +
                           std::to_string(options_.max_packet_bytes) + " bytes)");
}

PendingInvokes::Feeding PendingInvokes::Feed(Entry& entry, const wire::Frame& frame) {
  const uint64_t sid = frame.stream_id;
  Result<wire::AssembleStep> assembled = entry.assembler.Append(frame);
  if (!assembled.ok()) {
    if (assembled.status().is(ErrorKind::kMessageSize)) return Feeding{.too_large = true};
    return Feeding{.step = assembled.status()};  // a protocol violation: the connection dies
  }
  if (!assembled->packet.has_value()) {
    return Feeding{.step = Step(InvokeStep::Kind::kIncomplete, sid)};
  }
  const wire::Packet& packet = *assembled->packet;
  if (packet.kind == ToRaw(Kind::kInvokeMetadata)) {
    // Decoded into recycled nodes if the connection gave any back.
    if (entry.metadata.empty()) entry.metadata.swap(metadata_storage_);
    // Replaces, never merges (§1.10).
    Status decoded = wire::DecodeMetadataInto(packet.data, entry.metadata);
    if (!decoded.ok()) return Feeding{.step = std::move(decoded)};
    return Feeding{.step = Step(InvokeStep::Kind::kIncomplete, sid)};
  }
  DRPC_ASSERT(packet.kind == ToRaw(Kind::kInvoke), "a pending packet is an invoke kind");
  InvokeStep step = Step(InvokeStep::Kind::kInvoke, sid);
  step.rpc.swap(name_storage_);  // step.rpc was empty, and so is name_storage_ now
  step.rpc.assign(AsStringView(packet.data));
  step.metadata = std::move(entry.metadata);
  return Feeding{.step = std::move(step), .finished = true};
}

}  // namespace drpc::manager
