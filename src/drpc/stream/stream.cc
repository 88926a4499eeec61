#include "drpc/stream/stream.h"

#include <array>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "drpc/base/check.h"
#include "drpc/base/copy_count.h"
#include "drpc/base/plant.h"
#include "drpc/wire/error_payload.h"
#include "drpc/wire/split.h"

namespace drpc::stream {
namespace {

using wire::Kind;
using wire::ToRaw;

RingOptions RingOptionsFor(uint64_t id, const RingOptions& options) {
  RingOptions out = options;
  if (out.name.empty()) out.name = "stream " + std::to_string(id);
  return out;
}

// The text of the abortive Error a stream sends when the peer overran one of
// its limits: the gRPC status string the later era sends (§2.2).
std::string ResourceExhaustedText(const Status& err) {
  return "rpc error: code = ResourceExhausted desc = " + err.message();
}
// Its code: gRPC's ResourceExhausted (StatusCode::kResourceExhausted), so the
// client reads the refusal as that code, not as Unknown.
constexpr uint64_t kResourceExhaustedCode = 8;

// What begin() and transition() of a terminal call return to let it go on
// (a status ends the call; see Stream::TerminalCall).
constexpr std::nullopt_t kGoOn = std::nullopt;

}  // namespace

// One read or write: holds read_ or write_ and, once it lets go, checks for
// fin (the second half of the two-phase shutdown covers calls that were in
// flight when term was set).
class Stream::OpScope {
 public:
  OpScope(Stream& stream, InspectableMutex& mutex) : stream_(stream), mutex_(mutex) {
    mutex_.lock();
  }
  ~OpScope() {
    mutex_.unlock();
    // A send owes an abortive frame made while it held write (AbortiveCall).
    if (&mutex_ == &stream_.write_) (void)stream_.SendOwedFrame();
    stream_.CheckFinishedAfterRelease();
  }
  OpScope(const OpScope&) = delete;
  OpScope& operator=(const OpScope&) = delete;

 private:
  Stream& stream_;
  InspectableMutex& mutex_;
};

Stream::Stream(StreamConfig config)
    : id_(config.id),
      role_(config.role),
      options_(std::move(config.options)),
      sink_(config.sink),
      send_("stream.send"),
      recv_("stream.recv"),
      term_("stream.term"),
      fin_("stream.fin"),
      cancel_("stream.cancel"),
      mu_("stream.mu"),
      write_("stream.write"),
      read_("stream.read"),
      handling_(false, "stream.handling"),
      peer_message_since_send_(true, "stream.peer_message_since_send"),
      soft_canceled_(false, "stream.soft_canceled"),
      abort_owed_(false, "stream.abort_owed"),
      ring_(std::move(config.pool), RingOptionsFor(config.id, options_.ring)),
      assembler_(config.id, wire::AssemblerOptions{.max_packet_size = options_.max_packet_size,
                                                   .meter = &ring_.pool()->meter(),
                                                   .enforce_budget = true,
                                                   .store_data = false}),
      marshal_buffer_(std::move(config.marshal_buffer)),
      marshal_meter_(&ring_.pool()->meter(), ResourceKind::kMarshal),
      lent_meter_(&ring_.pool()->meter(), ResourceKind::kMarshal),
      on_finished_(std::move(config.on_finished)),
      finish_observer_(config.finish_observer),
      early_leases_(0, "stream.early_leases") {
  DRPC_ASSERT(options_.max_packet_size > 0, "a stream needs a positive max_packet_size");
  marshal_buffer_.clear();
  MeterMarshalBuffer();  // a given buffer is this stream's to count now
}

Stream::~Stream() {
  DRPC_ASSERT(!read_.held(), "stream destroyed during a receive");
  DRPC_ASSERT(!write_.held(), "stream destroyed during a send");
  DRPC_ASSERT(!handling_.load(), "stream destroyed during HandleFrame");
  EndPartial("abandoned: stream destroyed (canceled, or its connection torn down)");
  // Normally done at fin; a stream destroyed unfinished (its sink alive:
  // a test's) must not leave the sink reading freed memory.
  ReleaseLent();
  if (DRPC_PLANT(kStreamLeakMarshalAccounting)) marshal_meter_.Forget();
}

Buffer Stream::TakeMarshalBuffer() {
  DRPC_ASSERT(!write_.held(), "TakeMarshalBuffer during a send");
  if (DRPC_PLANT(kStreamLeakMarshalAccounting)) return {};
  Buffer out = std::move(marshal_buffer_);
  MeterMarshalBuffer();  // now empty: 0
  return out;
}

StreamState Stream::DebugState() const {
  return StreamState{
      .send = send_.is_set(),
      .recv = recv_.is_set(),
      .term = term_.is_set(),
      .fin = fin_.is_set(),
      .cancel = cancel_.is_set(),
      .reading = read_.held(),
      .writing = write_.held(),
      .handling = handling_.load(),
  };
}

// ---- the two-phase shutdown ---------------------------------------------

void Stream::TerminateLocked(const Status& err, FinishedCalls& pending) {
  DRPC_ASSERT(!err.ok(), "terminate needs an error");
  send_.set(err);
  recv_.set(err);
  term_.set(err);
  ring_.Close(err);
  DRPC_ASSERT(send_.is_set() && recv_.is_set() && term_.is_set(), "terminate left a signal unset");
  CheckFinishedLocked(pending);
}

// Why this decision is exact without taking read_ or write_: a call stores
// its held flag before it loads term, and lets go of it before loading term
// again on the way out (CheckFinishedAfterRelease); terminate stores term
// before anyone loads the flags here. All are sequentially consistent, so a
// call that saw term unset on entry is seen as held here, and a call that
// saw term unset on the way out was seen as not held here. So fin is set
// exactly when term is set and no call that began before term is still
// inside; and whichever of the two looks last sets it.
void Stream::CheckFinishedLocked(FinishedCalls& pending) {
  if (!term_.is_set() || fin_.is_set()) return;
  // abort_owed_ before write: whoever sends the owed frame stores write's
  // held flag before it clears abort_owed_, so seeing it cleared means
  // seeing write held (or let go again, and then its holder checks fin).
  if (abort_owed_.load() || (read_.held() && !DRPC_PLANT(kStreamFinIgnoresRead)) || write_.held() ||
      handling_.load())
    return;
  if constexpr (kCheckedBuild) {
    DRPC_ASSERT(early_leases_.load() == 0,
                "stream " + std::to_string(id_) +
                    ": fin with a receive buffer still held by a receive that began before term");
    DRPC_ASSERT(ring_.closed(), "stream " + std::to_string(id_) + ": fin with its ring open");
  }
  const bool set = fin_.set(term_.err());
  DRPC_ASSERT(set, "fin set twice: every fin decision is made under mu");
  DRPC_ASSERT(!pending, "a finished callback already pending");
  pending.fn = std::move(on_finished_);
  pending.observer = finish_observer_;
  pending.fin = true;
}

void Stream::CheckFinishedAfterRelease() {
  if (!term_.is_set()) return;
  FinishedCalls pending;
  {
    rt::LockGuard lock(mu_);
    CheckFinishedLocked(pending);
  }
  RunFinished(pending);
}

void Stream::RunFinished(FinishedCalls& pending) {
  if (!pending.fin) return;
  // Before the observer, which may let go of the last reference to us.
  ReleaseLent();
  if (pending.fn) pending.fn();
  if (pending.observer != nullptr) pending.observer->OnStreamFinished(*this);
}

// ---- incoming -----------------------------------------------------------

Status Stream::HandleFrame(const wire::Frame& frame) {
  DRPC_ASSERT(!handling_.exchange(true),
              "stream " + std::to_string(id_) +
                  ": HandleFrame called concurrently (one reader task per connection)");
  Status result = HandleFrameInFlight(frame);
  handling_.store(false);
  CheckFinishedAfterRelease();
  return result;
}

Status Stream::HandleFrameInFlight(const wire::Frame& frame) {
  if (term_.is_set()) {  // anything after termination is dropped
    EndPartial("abandoned: stream canceled");
    return OkStatus();
  }
  Result<wire::AssembleStep> step = assembler_.Append(frame);
  if (!step.ok()) {
    Status err = step.status();
    EndPartial(err.is(ErrorKind::kMessageSize) ? "abandoned: packet over its limit"
                                               : "abandoned: the peer broke the protocol");
    // The later era fails only the stream for an oversized Message; an
    // oversized packet of any other kind is the connection's problem. A
    // packet the connection's memory budget has no room for fails only
    // this stream, whatever its kind (docs/resources.md).
    if ((err.is(ErrorKind::kMessageSize) && frame.kind == ToRaw(Kind::kMessage)) ||
        err.is(ErrorKind::kResourceExhausted)) {
      return FailStreamFromPeer(std::move(err));
    }
    return err;
  }
  if (step->dropped && !DRPC_PLANT(kAssemblyKeepsReplaced)) {
    EndPartial("abandoned: replaced by a higher message id");
  }
  if (Status placed = PlaceFrameData(frame); !placed.ok()) {
    EndPartial("abandoned: over the connection's budget");
    return FailStreamFromPeer(std::move(placed));
  }
  if (!step->packet.has_value()) return OkStatus();
  wire::Packet packet = *step->packet;
  DRPC_ASSERT(packet.stream_id == id_, "the assembler completed another stream's packet");
  packet.data = partial_.has_value() ? partial_.view() : frame.data;
  Status handled = HandlePacket(packet);
  EndPartial("handled: a packet other than a Message, used in place");
  return handled;
}

Status Stream::HandlePacket(const wire::Packet& packet) {
  switch (wire::ClassifyKind(packet.kind, packet.control)) {
    case wire::KindDisposition::kIgnore:
      return OkStatus();
    case wire::KindDisposition::kReject:
    case wire::KindDisposition::kHandle:
      break;
  }
  if (packet.kind != ToRaw(Kind::kMessage)) return HandleRemoteTerminal(packet);

  DRPC_CHECKED_ASSERT(!fin_.is_set(), "stream " + std::to_string(id_) + ": enqueue after fin");
  peer_message_since_send_.store(true);
  DRPC_ASSERT(partial_.has_value(), "a Message packet without its buffer");
  switch (ring_.EnqueueOwned(std::move(partial_))) {
    case EnqueueResult::kQueued:
    case EnqueueResult::kClosed:  // terminated meanwhile: dropped (§2.2)
      return OkStatus();
    case EnqueueResult::kOverBudget:
      return FailStreamFromPeer(ResourceExhaustedError(
          "stream " + std::to_string(id_) + ": the peer overran the receive queue's byte budget"));
    case EnqueueResult::kOverConnectionBudget:
      return FailStreamFromPeer(ResourceExhaustedError(
          "stream " + std::to_string(id_) + ": the connection's memory budget has no room for a " +
          "message of " + std::to_string(packet.data.size()) + " bytes"));
  }
  DRPC_ASSERT(false, "unknown EnqueueResult");
  return OkStatus();
}

// Every packet kind but Message, including invokes and unknown kinds.
Status Stream::HandleRemoteTerminal(const wire::Packet& packet) {
  const uint8_t kind = packet.kind;
  Status remote_error;  // decoded outside mu: it allocates
  if (kind == ToRaw(Kind::kError)) {
    wire::ErrorPayload payload = wire::DecodeErrorPayload(packet.data);
    remote_error = RemoteError(std::move(payload.text), payload.code);
  }
  Status result;  // what the manager hears: non-ok kills the connection
  FinishedCalls pending;
  {
    rt::LockGuard lock(mu_);
    if (term_.is_set()) return OkStatus();  // terminated since HandleFrame looked
    switch (wire::ClassifyKind(kind, packet.control)) {
      case wire::KindDisposition::kIgnore:
        DRPC_ASSERT(false, "ignored kinds never get here");
        break;
      case wire::KindDisposition::kReject:
        result = wire::UnknownKindError(kind);
        TerminateLocked(result, pending);
        break;
      case wire::KindDisposition::kHandle:
        switch (static_cast<Kind>(kind)) {
          case Kind::kInvoke:
          case Kind::kInvokeMetadata:
            result = ProtocolError("invoke on existing stream " + std::to_string(id_));
            TerminateLocked(result, pending);
            break;
          case Kind::kError:
            send_.set(EofError());
            TerminateLocked(remote_error, pending);
            break;
          case Kind::kCancel:
            cancel_.set(CanceledError());
            send_.set(EofError());
            TerminateLocked(CanceledError(), pending);
            break;
          case Kind::kClose:
            // The ring closes with EOF first, so receives end in EOF while
            // sends learn the remote closed.
            recv_.set(EofError());
            ring_.Close(EofError());
            TerminateLocked(ClosedError("remote closed the stream"), pending);
            break;
          case Kind::kCloseSend:
            recv_.set(EofError());
            ring_.Close(EofError());
            if (send_.is_set()) TerminateLocked(DrpcError("both closed"), pending);
            break;
          case Kind::kMessage:
          case Kind::kWindowUpdate:
            DRPC_ASSERT(false, "a kind HandleRemoteTerminal does not handle");
            break;
        }
        break;
    }
    // HandleFrame is in flight, so fin waits for it to return.
    DRPC_ASSERT(!pending, "fin set inside HandleFrame");
  }
  return result;
}

// ---- the terminal-call protocol -------------------------------------------

// The protocol of every ordered call that changes the state and sends a
// frame about it (Close, CloseSend, SendError, the send sequences; the
// abortive calls have their own, AbortiveCall below):
//   1. take mu; begin(): the entry check (a status ends the call);
//   2. take write (waiting for it without mu, then begin() again);
//      transition(): the state change and the frames, one step under both;
//   3. let go of mu; send(): the frames go to the sink with write still held,
//      so fin and every other send wait for them;
//   4. let go of write; check for fin (it cannot be set while write is held).
// Lock order write -> mu (under mu, write is only tried). No step waits for
// write, or lets a frame wait on the writer's back-pressure, while holding
// mu: the connection's reader takes mu for a remote terminal packet, and a
// reader waiting for our mu while our writer waits for the peer to read
// deadlocks with a peer doing the same (85c6f8e, and the cancel found by
// layers.stalled-close; docs/stream.md, "The terminal-call protocol").
template <class Begin, class Transition, class Send>
Status Stream::TerminalCall(const Begin& begin, const Transition& transition, const Send& send) {
  FinishedCalls pending;
  rt::Lock lock(mu_);
  if (std::optional<Status> done = begin()) return *std::move(done);
  if (!write_.try_lock()) {
    // A send holds write: a data send, or another terminal frame waiting on
    // back-pressure for as long as the peer does not read. Wait for it
    // without mu, which the reader needs (see above); the state may change
    // meanwhile (a cancel, the peer's Close), so the entry check runs again.
    lock.unlock();
    write_.lock();
    lock.lock();
    if (std::optional<Status> done = begin()) {
      lock.unlock();
      ReleaseWrite();
      CheckFinishedAfterRelease();
      return *std::move(done);
    }
  }
  // A transition that returns void never ends the call.
  if constexpr (!std::is_void_v<std::invoke_result_t<const Transition&, FinishedCalls&>>) {
    if (std::optional<Status> done = transition(pending)) {
      ReleaseWrite();
      return *std::move(done);
    }
  } else {
    transition(pending);
  }
  DRPC_ASSERT(!pending, "fin set while the write lock is held");
  if (DRPC_PLANT(kStreamTerminalHoldsMu)) {  // the bug of 85c6f8e: mu held while the frame waits
    Status result = send();
    ReleaseWrite();
    CheckFinishedLocked(pending);
    lock.unlock();
    RunFinished(pending);
    return result;
  }
  lock.unlock();
  Status result = send();
  ReleaseWrite();
  CheckFinishedAfterRelease();
  return result;
}

// The protocol of the abortive calls (SendCancel, FailStreamFromPeer). They
// end the stream at once and never wait for write, with or without mu: they
// are made by the deadline watcher, a cancel token's callback and the
// connection's reader, and write may be held by an ordered terminal frame
// waiting on back-pressure for as long as the peer does not read. The reader
// waiting there stops reading (a two-sided deadlock with a peer doing the
// same; the watcher waiting there stalls every deadline of the connection).
//   1. take mu; a no-op once term is set;
//   2. send = EOF: a data send waiting on back-pressure returns and lets go
//      of write;
//   3. the frame becomes owed (abort_owed_), before the transition, so fin
//      waits for it;
//   4. transition(pending): the stream terminates;
//   5. let go of mu; SendOwedFrame(): the frame goes now if write is free,
//      else whoever holds write sends it as it lets go (ReleaseWrite).
// The frame is a control frame, which the writer takes even above its mark:
// sending it never waits. It may follow the frame of an ordered terminal
// call in progress; an abortive frame makes no promise of order
// (drpc-protocol.md §2.3), and once term is set nothing else is sent.
template <class Transition>
Status Stream::AbortiveCall(const Transition& transition, OwedFrame frame) {
  FinishedCalls pending;
  bool planted_write = false;
  {
    rt::LockGuard lock(mu_);
    if (term_.is_set()) return OkStatus();
    if (DRPC_PLANT(kStreamCancelLocksBeforeWake)) {
      // The bug: waits for write under mu before waking the send that holds it.
      write_.lock();
      planted_write = true;
    }
    send_.set(EofError());
    if (DRPC_PLANT(kStreamAbortWaitsForWrite)) {
      // The bug: waits for write under mu, behind a terminal frame that may
      // wait on back-pressure while the reader needs mu.
      write_.lock();
      planted_write = true;
    }
    owed_ = std::move(frame);
    abort_owed_.store(true);
    // A holder of write that let go since the flag was set has sent the
    // frame already; then fin may be set here.
    transition(pending);
  }
  RunFinished(pending);
  if (planted_write) write_.unlock();
  Status sent = SendOwedFrame();
  CheckFinishedAfterRelease();
  return sent;
}

void Stream::ReleaseWrite() {
  write_.unlock();
  (void)SendOwedFrame();
}

// Whoever takes abort_owed_ (under write) sends the frame. A try-lock that
// fails leaves it to the holder of write: the flag was set before that
// failure, so the holder sees it after it lets go.
Status Stream::SendOwedFrame() {
  Status sent = OkStatus();
  while (abort_owed_.load()) {
    if (!write_.try_lock()) break;
    if (abort_owed_.exchange(false)) {
      sent = owed_.kind == Kind::kError ? WriteErrorLocked(owed_.code, owed_.text, /*control=*/true)
                                        : WriteTerminalLocked(owed_.kind, /*control=*/true, {});
    }
    write_.unlock();
  }
  return sent;
}

// begin() of a call that is a no-op once term is set.
std::optional<Status> Stream::OkOnceTerminated() const {
  if (term_.is_set()) return OkStatus();
  return kGoOn;
}

// A stream-level failure caused by the peer (the later era's
// MessageSizeError rule): the stream dies, the peer hears why through an
// abortive Error, the connection lives. Runs inside HandleFrame, so fin
// waits for it to return.
Status Stream::FailStreamFromPeer(Status err) {
  DRPC_ASSERT(!err.ok(), "FailStreamFromPeer needs an error");
  // A writer error here means the connection is going down anyway; the
  // manager learns it from the writer.
  std::string text = ResourceExhaustedText(err);
  (void)AbortiveCall(
      [&](FinishedCalls& pending) { TerminateLocked(err, pending); },
      OwedFrame{.kind = Kind::kError, .code = kResourceExhaustedCode, .text = std::move(text)});
  return OkStatus();
}

// ---- cancel -------------------------------------------------------------

bool Stream::Cancel(Status err) {
  DRPC_ASSERT(!err.ok(), "Cancel needs an error");
  FinishedCalls pending;
  {
    rt::LockGuard lock(mu_);
    if (fin_.is_set()) return true;
    cancel_.set(err);
    send_.set(EofError());
    TerminateLocked(err, pending);
  }
  RunFinished(pending);
  return false;
}

Status Stream::SendCancel(Status err) {
  DRPC_ASSERT(!err.ok(), "SendCancel needs an error");
  return AbortiveCall(
      [&](FinishedCalls& pending) {
        TerminateLocked(err, pending);
        // After term: a receive that sees the flag finds term's error.
        soft_canceled_.store(true);
      },
      OwedFrame{.kind = Kind::kCancel, .code = 0, .text = {}});
}

// ---- terminal calls -----------------------------------------------------

Status Stream::CloseSend() {
  return TerminalCall(
      [&]() -> std::optional<Status> {
        if (send_.is_set() || term_.is_set()) return OkStatus();
        return kGoOn;
      },
      [&](FinishedCalls& pending) {
        send_.set(DrpcError("send closed"));
        if (recv_.is_set()) TerminateLocked(DrpcError("both closed"), pending);
      },
      [&] { return WriteTerminalLocked(Kind::kCloseSend, /*control=*/false, {}); });
}

Status Stream::Close() {
  return TerminalCall([&] { return OkOnceTerminated(); },
                      [&](FinishedCalls& pending) {
                        TerminateLocked(DrpcError("terminated by sending close"), pending);
                      },
                      [&] { return WriteTerminalLocked(Kind::kClose, /*control=*/false, {}); });
}

Status Stream::SendError(const Status& err) {
  DRPC_ASSERT(!err.ok(), "SendError needs an error");
  return TerminalCall(
      [&] { return OkOnceTerminated(); },
      [&](FinishedCalls& pending) {
        send_.set(EofError());
        TerminateLocked(DrpcError("terminated by sending error"), pending);
      },
      [&] { return WriteErrorLocked(err.wire_code(), err.message(), /*control=*/false); });
}

// ---- sends --------------------------------------------------------------

Status Stream::RawWrite(wire::Kind kind, Bytes data) {
  OpScope op(*this, write_);
  return WritePacketLocked(ToRaw(kind), data);
}

Status Stream::SendMarshaled(MarshalFn marshal, const void* ctx) {
  OpScope op(*this, write_);
  marshal_buffer_.clear();
  Status result = marshal(ctx, marshal_buffer_);
  if (result.ok()) result = ChargeMarshalBuffer();  // held while the packet waits for the writer
  if (result.ok()) {
    // Offered to the sink with its buffer: a large message is written from
    // it, not copied (marshal_buffer_ may come back as another buffer).
    result = WritePacketLocked(ToRaw(Kind::kMessage), marshal_buffer_.view(), &marshal_buffer_);
  }
  TrimMarshalBuffer();
  return result;
}

Status Stream::WriteInvoke(std::string_view rpc, const wire::Metadata& metadata) {
  OpScope op(*this, write_);
  if (!metadata.empty()) {
    marshal_buffer_.clear();
    wire::EncodeMetadata(marshal_buffer_, metadata);
    Status sent = ChargeMarshalBuffer();
    if (sent.ok()) sent = WritePacketLocked(ToRaw(Kind::kInvokeMetadata), marshal_buffer_.view());
    TrimMarshalBuffer();
    if (!sent.ok()) return sent;
  }
  return WritePacketLocked(ToRaw(Kind::kInvoke), AsBytes(rpc));
}

Status Stream::SendSequence(const std::string_view* rpc, const wire::Metadata* metadata,
                            MarshalFn marshal, const void* ctx) {
  std::array<wire::Frame, 4> frames;  // at most InvokeMetadata, Invoke, Message, CloseSend
  size_t count = 0;
  bool unbatched = false;  // a packet over one frame: the separate calls instead
  Status result = TerminalCall(
      // The checks of a data send (WritePacketLocked). Every change of send
      // and term is made under mu, so they hold until the frames are built.
      [&]() -> std::optional<Status> {
        if (send_.is_set()) return send_.err();
        if (term_.is_set()) return term_.err();
        return kGoOn;
      },
      [&](FinishedCalls& pending) -> std::optional<Status> {
        // One buffer for the metadata and the message: [metadata][message].
        marshal_buffer_.clear();
        if (rpc != nullptr && !metadata->empty()) wire::EncodeMetadata(marshal_buffer_, *metadata);
        const size_t metadata_size = marshal_buffer_.size();
        if (Status marshaled = marshal(ctx, marshal_buffer_); !marshaled.ok()) {
          TrimMarshalBuffer();
          return marshaled;  // nothing sent, nothing changed (as MsgSend)
        }
        if (Status charged = ChargeMarshalBuffer(); !charged.ok()) {
          TrimMarshalBuffer();
          return charged;  // nothing sent, nothing changed (as MsgSend)
        }
        const Bytes metadata_bytes = marshal_buffer_.view().first(metadata_size);
        const Bytes message = marshal_buffer_.view().subspan(metadata_size);
        const int64_t split = options_.split_size;
        const bool one_frame_each =
            wire::SplitFrameCount(message.size(), split) == 1 &&
            (rpc == nullptr ||
             (wire::SplitFrameCount(rpc->size(), split) == 1 &&
              (metadata->empty() || wire::SplitFrameCount(metadata_bytes.size(), split) == 1)));
        if (!one_frame_each) {
          TrimMarshalBuffer();
          unbatched = true;
          return OkStatus();
        }
        DRPC_ASSERT(send_message_id_ <= std::numeric_limits<uint64_t>::max() - 4,
                    "stream " + std::to_string(id_) + ": outgoing message ids exhausted");
        auto add = [&](Kind kind, Bytes data) {
          DRPC_ASSERT(count < frames.size(), "a send sequence has at most four frames");
          const wire::Packet packet{.stream_id = id_,
                                    .message_id = ++send_message_id_,
                                    .kind = ToRaw(kind),
                                    .control = false,
                                    .data = data};
          wire::PacketSplitter one(packet, split);
          frames[count++] = one.Next();
          DRPC_ASSERT(one.finished() && frames[count - 1].done, "a batched packet is one frame");
        };
        if (rpc != nullptr) {
          if (!metadata->empty()) add(Kind::kInvokeMetadata, metadata_bytes);
          add(Kind::kInvoke, AsBytes(*rpc));
        }
        add(Kind::kMessage, message);
        // CloseSend's transition (§2.3), made before its frame as CloseSend does.
        send_.set(DrpcError("send closed"));
        if (recv_.is_set()) TerminateLocked(DrpcError("both closed"), pending);
        add(Kind::kCloseSend, {});
        return kGoOn;
      },
      [&] {
        // The message's frame (count - 2: CloseSend is last) is offered
        // with its buffer, as in SendMarshaled.
        Status sent = CheckCancelError(
            WriteFramesToSink(std::span(frames.data(), count), nullptr, count - 2));
        TrimMarshalBuffer();
        return sent;
      });
  if (unbatched) return SendSequenceUnbatched(rpc, metadata, marshal, ctx);
  return result;
}

Status Stream::SendSequenceUnbatched(const std::string_view* rpc, const wire::Metadata* metadata,
                                     MarshalFn marshal, const void* ctx) {
  if (rpc != nullptr) {
    if (Status invoked = WriteInvoke(*rpc, *metadata); !invoked.ok()) return invoked;
  }
  if (Status sent = SendMarshaled(marshal, ctx); !sent.ok()) return sent;
  return CloseSend();
}

Status Stream::WritePacketLocked(uint8_t kind, Bytes data, Buffer* owner) {
  DRPC_ASSERT(write_.held(), "a data packet is written under the write lock");
  DRPC_ASSERT(kind <= wire::kMaxKind, "packet kind out of range");
  DRPC_ASSERT(send_message_id_ < std::numeric_limits<uint64_t>::max(),
              "stream " + std::to_string(id_) + ": outgoing message ids exhausted");
  const wire::Packet packet{.stream_id = id_,
                            .message_id = ++send_message_id_,
                            .kind = kind,
                            .control = false,
                            .data = data};
  const size_t frames = wire::SplitFrameCount(data.size(), options_.split_size);
  DRPC_ASSERT(frames >= 1, "a packet is at least one frame");
  // A message right after this stream's previous one, with no message
  // from the peer in between, is part of a burst (a streaming sender): it
  // goes to the connection's writer task, which writes back-to-back
  // messages together. The first message and a reply may be written by
  // this caller at once (the latency path of a request or a ping-pong).
  const bool burst = kind == ToRaw(Kind::kMessage) && !peer_message_since_send_.exchange(false);
  wire::PacketSplitter split(packet, options_.split_size);
  // A packet of one frame offers the sink its buffer (taken if large). A
  // longer one lends every frame from it, submitted one by one (other
  // streams' frames interleave; back-pressure applies per frame), so none
  // is copied; the buffer is reused once they are written (KeepLentLocked).
  const bool lend = frames > 1 && owner != nullptr;
  bool lent_some = false;
  // Given up half-way: the frames already lent still read *owner, so it
  // goes to the sink, which frees it once they are written.
  auto give_up = [&](Status err) {
    if (lent_some) {
      sink_.ReleaseLent(std::move(*owner), sink_.LendingTicket());
      *owner = Buffer();
      MeterMarshalBuffer();  // the sink counts it now
    }
    return err;
  };
  for (size_t i = 0; i < frames; ++i) {
    DRPC_ASSERT(!split.finished(), "the splitter ran out before its frame count");
    // Checked before every frame: a terminate between frames abandons the
    // packet half-way, which the peer's assembler drops (§1.7 rule 3).
    if (send_.is_set()) return give_up(send_.err());
    if (term_.is_set()) return give_up(term_.err());
    const wire::Frame frame = split.Next();
    Status written = Status();
    if (owner == nullptr) {
      written = WriteFrameToSink(frame, &send_, burst);
    } else {
      const auto handover = lend ? FrameSink::Handover::kLend : FrameSink::Handover::kIfLarge;
      written = WriteFramesToSink(std::span(&frame, 1), &send_, 0, burst, owner, handover);
    }
    if (!written.ok()) return give_up(CheckCancelError(std::move(written)));
    lent_some = lend;
  }
  DRPC_ASSERT(split.finished(), "the splitter has frames left past its frame count");
  if (lend) KeepLentLocked(*owner);
  return OkStatus();
}

void Stream::KeepLentLocked(Buffer& owner) {
  DRPC_ASSERT(write_.held(), "a lent buffer is kept under the write lock");
  DRPC_ASSERT(&owner == &marshal_buffer_, "a packet is lent from the marshal buffer");
  const uint64_t ticket = sink_.LendingTicket();
  if (ticket == 0) return;  // the sink copied: nothing is lent
  const size_t max = options_.max_marshal_buffer_bytes;
  if (max != 0 && owner.capacity() > max) {
    // Too large to keep (as TrimMarshalBuffer frees it): the sink frees it
    // once written.
    sink_.ReleaseLent(std::move(owner), ticket);
    owner = Buffer();
    MeterMarshalBuffer();
    return;
  }
  std::swap(owner, lent_buffer_);
  const uint64_t older = std::exchange(lent_ticket_, ticket);
  // Counted once each meanwhile: the buffer just lent as lent, the one
  // coming back as the marshal buffer.
  MeterMarshalBuffer();
  MeterLentBuffer();
  // The buffer lent before: usually written while this message was
  // marshalled. Until it is, this sender waits (one message in flight per
  // stream, as when the writer held a copy); a cancel meanwhile leaves it
  // to the sink.
  if (older != 0 && !DRPC_PLANT(kStreamReusesLentBuffer) && !sink_.WaitWritten(older, &send_)) {
    sink_.ReleaseLent(std::move(owner), older);
    owner = Buffer();
    MeterMarshalBuffer();
  }
}

void Stream::ReleaseLent() {
  if (lent_ticket_ == 0) return;
  sink_.ReleaseLent(std::move(lent_buffer_), std::exchange(lent_ticket_, 0));
  lent_buffer_ = Buffer();
  MeterLentBuffer();
}

Status Stream::WriteTerminalLocked(wire::Kind kind, bool control, Bytes data) {
  DRPC_ASSERT(write_.held(), "a terminal packet is written under the write lock");
  DRPC_ASSERT(term_.is_set() || send_.is_set(), "terminal packets follow the state change");
  DRPC_ASSERT(send_message_id_ < std::numeric_limits<uint64_t>::max(),
              "stream " + std::to_string(id_) + ": outgoing message ids exhausted");
  const wire::Frame frame{.stream_id = id_,
                          .message_id = ++send_message_id_,
                          .kind = ToRaw(kind),
                          .done = true,
                          .control = control,
                          .data = data};
  // No cancel signal: a full writer delays a terminal frame, never drops it.
  return CheckCancelError(WriteFrameToSink(frame, nullptr));
}

Status Stream::WriteErrorLocked(uint64_t code, std::string_view text, bool control) {
  marshal_buffer_.clear();
  wire::EncodeErrorPayload(marshal_buffer_, code, text);
  MeterMarshalBuffer();
  Status result = WriteTerminalLocked(Kind::kError, control, marshal_buffer_.view());
  TrimMarshalBuffer();
  return result;
}

Status Stream::WriteFrameToSink(const wire::Frame& frame, rt::Signal* cancel, bool burst) {
  DRPC_ASSERT(write_.held(), "frames go to the sink under the write lock");
  DRPC_ASSERT(frame.stream_id == id_, "a stream writes only its own frames");
  DRPC_CHECKED_ASSERT(!fin_.is_set(),
                      "stream " + std::to_string(id_) + ": a frame went to the sink after fin");
  return burst ? sink_.QueueFrame(frame, cancel) : sink_.WriteFrame(frame, cancel);
}

Status Stream::WriteFramesToSink(std::span<const wire::Frame> frames, rt::Signal* cancel,
                                 size_t taken, bool burst, Buffer* owner,
                                 FrameSink::Handover handover) {
  DRPC_ASSERT(write_.held(), "frames go to the sink under the write lock");
  for (const wire::Frame& frame : frames) {
    DRPC_ASSERT(frame.stream_id == id_, "a stream writes only its own frames");
  }
  DRPC_CHECKED_ASSERT(!fin_.is_set(),
                      "stream " + std::to_string(id_) + ": a frame went to the sink after fin");
  if (taken < frames.size()) {
    return sink_.WriteFramesTaking(frames, taken, owner != nullptr ? *owner : marshal_buffer_,
                                   cancel, burst, handover);
  }
  return sink_.WriteFrames(frames, cancel);
}

Status Stream::CheckCancelError(Status err) const {
  if (err.ok() || !cancel_.is_set()) return err;
  return cancel_.err();
}

Status Stream::ChargeMarshalBuffer() {
  const int64_t limit = ring_.pool()->meter().SendLimit();
  if (marshal_meter_.TrySet(marshal_buffer_.capacity(), limit)) return OkStatus();
  // Never counted: the message goes, and with it the memory it took.
  const size_t size = marshal_buffer_.size();
  marshal_buffer_.Release();
  MeterMarshalBuffer();
  return ResourceExhaustedError("stream " + std::to_string(id_) + ": a message of " +
                                std::to_string(size) +
                                " bytes does not fit in the connection's memory budget");
}

void Stream::TrimMarshalBuffer() {
  const size_t max = options_.max_marshal_buffer_bytes;
  if (max != 0 && marshal_buffer_.capacity() > max) marshal_buffer_.Release();
  MeterMarshalBuffer();
}

// ---- receives -----------------------------------------------------------

Status Stream::ReceiveDecoded(UnmarshalFn unmarshal, void* ctx) {
  OpScope op(*this, read_);
  // Loaded after read_ is held (see CheckFinishedLocked): a receive that
  // sees term unset here is one fin waits for.
  const bool early = !term_.is_set();
  // The caller gave up on the call: what is still queued is not wanted (as
  // in Go, deterministically; docs/rpc.md, "Canceling a call").
  if (soft_canceled_.load()) {
    // Term closed the ring, so this ends: the queued buffers go back now.
    for (Result<Lease> queued = ring_.Dequeue(); queued.ok(); queued = ring_.Dequeue()) {
      queued->Done();
    }
    return term_.err();
  }
  Result<Lease> next = ring_.Dequeue();
  if (!next.ok()) return next.status();
  if constexpr (kCheckedBuild) {
    if (early) early_leases_.fetch_add(1);
  }
  Status result = unmarshal(ctx, next->view());
  next->Done();  // the buffer never leaves the call
  if constexpr (kCheckedBuild) {
    if (early) early_leases_.fetch_sub(1);
  }
  return result;
}

Result<Buffer> Stream::RawRecv() {
  Buffer out;
  Status received = ReceiveDecoded(
      [](void* ctx, Bytes data) {
        Buffer& copy = *static_cast<Buffer*>(ctx);
        copy.Reserve(data.size());
        copy.Append(data);
        // The caller's own copy, out of the pooled buffer (MsgRecv decodes
        // from it without one).
        CountCopy(CopyPath::kReceive, data.size());
        return OkStatus();
      },
      &out);
  if (!received.ok()) return received;
  return out;
}

}  // namespace drpc::stream
