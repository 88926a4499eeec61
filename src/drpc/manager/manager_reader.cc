// Manager: the reader task. Reads frames and routes them by stream id;
// assembles invokes into new server streams (docs/manager.md, "The reader").
#include <string>
#include <utility>

#include "drpc/base/buffer.h"
#include "drpc/base/check.h"
#include "drpc/base/plant.h"
#include "drpc/manager/internal/open_order.h"
#include "drpc/manager/internal/stream_table.h"
#include "drpc/manager/internal/transport_source.h"
#include "drpc/manager/manager.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/reader.h"

namespace drpc::manager {
namespace {

// A connection reset classified by text, for transports that report it as
// a generic connection error (Go matches "connection reset by peer" and
// Windows' "forcibly closed by the remote host").
bool LooksLikeReset(const Status& err) {
  const std::string& text = err.message();
  return text.find("connection reset by peer") != std::string::npos ||
         text.find("forcibly closed by the remote host") != std::string::npos;
}

// The stream a frame's payload may be read into in place: the lookup Route
// makes for it (Route may still drop the frame).
std::shared_ptr<Stream> PayloadTarget(const StreamTable& table, const OpenOrder* open_order,
                                      const wire::FrameHeader& header) {
  // Only a Message with bytes goes in place; the rest is not worth a lookup.
  if (header.kind != wire::ToRaw(wire::Kind::kMessage) || header.data_size == 0) return nullptr;
  if (header.stream_id == 0) return nullptr;
  if (open_order != nullptr) {
    const uint64_t local = open_order->LocalId(header.stream_id);
    return local != 0 ? table.Get(local) : nullptr;
  }
  return table.Get(header.stream_id);
}

}  // namespace

void Manager::ReaderLoop() {
  // About to read (and perhaps block): nothing held back may wait for it,
  // and an unfinished frame's timer runs from here (timeouts.h).
  const wire::FrameReader* frames = nullptr;
  TransportSource source(*transport_, [this, &frames] {
    WakeDeferredAccept();
    timer_.BeforeRead(frames->buffered());
  });
  wire::FrameReader reader(source, options_.reader, &pool_->meter());
  frames = &reader;
  // Ends only through an error: a read error once the transport is closed
  // (by Close or by terminate) if nothing else. Keeps reading after term so
  // a peer flushing its last frames is not blocked by us.
  Status end;
  for (;;) {
    // The header first: a Message's payload is read straight into the
    // pooled buffer of the packet it belongs to (docs/stream.md,
    // "Receiving in place").
    Result<wire::FrameHeader> header = reader.PeekHeader();
    if (!header.ok()) {
      end = MapReadError(header.status());
      break;
    }
    std::shared_ptr<Stream> target = PayloadTarget(*table_, open_order_.get(), *header);
    const MutableBytes destination =
        target != nullptr ? target->PayloadDestination(*header) : MutableBytes();
    Result<wire::Frame> frame =
        destination.empty() ? reader.ReadFrame() : reader.ReadFrameInto(destination);
    if (!frame.ok()) {
      if (!destination.empty()) target->PayloadReadFailed();
      end = MapReadError(frame.status());
      break;
    }
    timer_.FrameRead();
    Status routed = Route(*frame);
    if (!routed.ok()) {
      end = std::move(routed);
      break;
    }
  }
  Terminate(end, Shutdown::kAbort);
  reader_done_.set(OkStatus());
}

Status Manager::Route(const wire::Frame& frame) {
  if (deferred_accept_ != 0) {
    if (KeepsAcceptDeferred(frame)) {
      if (frame.kind == wire::ToRaw(wire::Kind::kMessage) && frame.done) {
        deferred_saw_message_ = true;
      }
    } else {
      WakeDeferredAccept();
    }
  }
  if (frame.stream_id == 0) {
    return ProtocolError("frame for stream id 0 (" + std::string(wire::KindName(frame.kind)) + ")");
  }
  if (DRPC_PLANT(kManagerDropInterleavedFrame) && PlantedDropsInterleaved(frame)) {
    return OkStatus();
  }
  if (open_order_ != nullptr) {
    // A client's streams write under wire ids given at their first frame
    // (internal/open_order.h); the table and the stream know the local id.
    const uint64_t local = open_order_->LocalId(frame.stream_id);
    if (std::shared_ptr<Stream> stream = local != 0 ? table_->Get(local) : nullptr) {
      wire::Frame routed = frame;
      routed.stream_id = local;
      return stream->HandleFrame(routed);
    }
  } else if (std::shared_ptr<Stream> stream = table_->Get(frame.stream_id)) {
    // `stream` keeps it alive across the call even if it finishes inside.
    return stream->HandleFrame(frame);
  }
  if (!IsInvokeKind(frame.kind)) return OkStatus();  // late or unknown: dropped (§4.3)
  if (options_.role == Role::kClient) {
    return ProtocolError("client received an " + std::string(wire::KindName(frame.kind)) +
                         " for stream " + std::to_string(frame.stream_id));
  }
  if (term_.is_set()) return OkStatus();  // no new streams while terminating
  return HandleInvokeFrame(frame);
}

bool Manager::PlantedDropsInterleaved(const wire::Frame& frame) {
  // The fork's old reader reset a partial packet when frames of two streams
  // interleaved (drpc-protocol.md §8): messages arrive silently corrupted.
  const bool interleaved = last_routed_stream_ != 0 && last_routed_stream_ != frame.stream_id;
  last_routed_stream_ = frame.stream_id;
  return interleaved && !frame.done && frame.kind == wire::ToRaw(wire::Kind::kMessage);
}

Status Manager::HandleInvokeFrame(const wire::Frame& frame) {
  const uint64_t sid = frame.stream_id;
  if (!pending_.Tracks(sid)) {
    if (used_ids_.IsUsed(sid) && !DRPC_PLANT(kManagerFinishedIdAccepted)) {
      return ProtocolError("invoke for stream id " + std::to_string(sid) +
                           ", which was already used");
    }
    used_ids_.MarkUsed(sid);
  }
  Result<InvokeStep> step = pending_.Append(frame);
  if (!step.ok()) return step.status();
  switch (step->kind) {
    case InvokeStep::Kind::kIncomplete:
    case InvokeStep::Kind::kDropped:
      return OkStatus();
    case InvokeStep::Kind::kRefuse:
      return Refuse(sid, step->reason);
    case InvokeStep::Kind::kInvoke:
      return Admit(sid, std::move(step->rpc), std::move(step->metadata));
  }
  DRPC_ASSERT(false, "unknown InvokeStep kind");
  return OkStatus();
}

Status Manager::Admit(uint64_t stream_id, std::string rpc, wire::Metadata metadata) {
  // Only this task adds to the queue, so it cannot fill up before the push.
  switch (WaitForAcceptRoom()) {
    case AcceptRoom::kRoom:
      break;
    case AcceptRoom::kTerminating:
      return OkStatus();
    case AcceptRoom::kFull:
      return Refuse(stream_id,
                    "drpc: server busy: too many streams waiting to be accepted (limit " +
                        std::to_string(options_.accept_queue_capacity) + ")");
  }
  std::shared_ptr<Stream> stream = MakeStream(stream_id);
  switch (table_->Add(stream, options_.max_concurrent_streams, rt::kNoDeadline,
                      /*wait_for_room=*/false)) {
    case AddResult::kAdded:
      break;
    case AddResult::kClosed:
      return OkStatus();  // terminating: the stream is dropped unseen
    case AddResult::kFull:
      return Refuse(stream_id, "drpc: too many concurrent streams (limit " +
                                   std::to_string(options_.max_concurrent_streams) + ")");
    case AddResult::kDuplicate:
      DRPC_ASSERT(false, "stream id " + std::to_string(stream_id) +
                             " registered twice: the used-id check must refuse it");
  }
  rt::LockGuard guard(mu_);
  ++stats_.streams_opened;
  if (terminating_ && !DRPC_PLANT(kManagerRegisterAfterClose)) {
    // Terminate cancels it (it was registered before the table closed).
    return OkStatus();
  }
  accepted_.push_back(ServerStream{std::move(stream), std::move(rpc), std::move(metadata)});
  // Under the lock taken anyway: storage for the next invoke's name.
  if (!spare_names_.empty() && !pending_.has_name_storage()) {
    pending_.GiveNameStorage(std::move(spare_names_.back()));
    spare_names_.pop_back();
  }
  if (!spare_metadata_.empty() && !pending_.has_metadata_storage()) {
    pending_.GiveMetadataStorage(std::move(spare_metadata_.back()));
    spare_metadata_.pop_back();
  }
  // Woken later (WakeDeferredAccept), once the frames that follow the
  // Invoke in what was read are routed. A waiter that looks meanwhile
  // takes it anyway: the predicate is the queue, not the wake-up.
  DRPC_ASSERT(deferred_accept_ == 0, "an earlier accept wake-up was not sent");
  deferred_accept_ = stream_id;
  deferred_saw_message_ = false;
  return OkStatus();
}

bool Manager::KeepsAcceptDeferred(const wire::Frame& frame) const {
  // Only the new stream's own frames, and not a second Message: routing
  // one may block on the stream's ring, whose consumer is the very task
  // the wake-up is for. Every other kind is handled without blocking.
  if (frame.stream_id != deferred_accept_) return false;
  return frame.kind != wire::ToRaw(wire::Kind::kMessage) || !deferred_saw_message_;
}

void Manager::WakeDeferredAccept() {
  if (deferred_accept_ == 0) return;
  deferred_accept_ = 0;
  rt::LockGuard guard(mu_);
  accept_ready_.notify_one();
}

Status Manager::Refuse(uint64_t stream_id, const std::string& reason) {
  {
    rt::LockGuard guard(mu_);
    ++stats_.streams_refused;
  }
  Buffer payload;
  wire::EncodeErrorPayload(payload, kRefusalCode, reason);
  // The later era's rejectStream: message 1 of a stream that never existed,
  // no control bit, so it waits on back-pressure like data (term cancels
  // the wait). A writer error is the writer's to report.
  const wire::Frame frame{.stream_id = stream_id,
                          .message_id = 1,
                          .kind = wire::ToRaw(wire::Kind::kError),
                          .done = true,
                          .control = false,
                          .data = payload.view()};
  (void)writer_->WriteFrame(frame, &term_);
  return OkStatus();
}

Status Manager::MapReadError(Status err) const {
  DRPC_ASSERT(!err.ok(), "mapping a read error that is not one");
  if (err.is(ErrorKind::kEof)) {
    // §4.7: the peer hung up in order.
    if (options_.role == Role::kServer) return CanceledError();
    return ClosedError("connection closed");
  }
  if (err.is(ErrorKind::kConnection) && LooksLikeReset(err)) {
    return ClosedError(err.message());
  }
  return err;
}

}  // namespace drpc::manager
