// Stream: one RPC on a shared connection: its state machine, its receive
// ring and its path to the connection's writer (drpc-protocol.md §2-§4).
// The manager makes one per call and feeds it the connection's frames; the
// application sends, receives and ends the call on it.
//
//   auto s = std::make_shared<Stream>(StreamConfig{.id = 1, .role = Role::kClient,
//                                                  .pool = pool, .sink = writer});
//   s->WriteInvoke("/svc/Method", metadata);        // application task
//   s->MsgSend(request, BytesCodec{});
//   s->CloseSend();
//   Status st = s->MsgRecv(reply, BytesCodec{});    // the real status of the call
//   s->Close();
//   ...
//   Status conn = s->HandleFrame(frame);            // the manager's reader task
//
// Any number of application tasks may send and receive (sends serialize, as
// do receives); exactly one task calls HandleFrame. Every caller keeps the
// Stream alive for the duration of its call.
//
// The state (send, recv, term, fin, cancel), the two-phase shutdown, the
// lock order and the terminal-call protocol: docs/stream.md, "The stream
// state machine".
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/resource_meter.h"
#include "drpc/base/result.h"
#include "drpc/base/status.h"
#include "drpc/base/unique_function.h"
#include "drpc/rt/atomic.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/stream/buffer_pool.h"
#include "drpc/stream/codec.h"
#include "drpc/stream/frame_sink.h"
#include "drpc/stream/internal/inspectable_mutex.h"
#include "drpc/stream/ring_buffer.h"
#include "drpc/wire/assembler.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/metadata.h"
#include "drpc/wire/packet.h"

namespace drpc::stream {

// Which end of the RPC this stream is. The state machine is the same for
// both; the role is for reports and for the manager's error mapping.
enum class Role : uint8_t { kClient, kServer };

struct StreamOptions {
  // Frame data bytes per frame of a data packet (Go SplitData, §1.6):
  // 0 = 64 KiB, negative = never split, positive = at most that many.
  // Terminal packets are always one frame.
  int64_t split_size = 0;
  // Largest incoming packet. A Message over it fails only this stream
  // (later-era MessageSizeError, see HandleFrame); any other kind over it
  // fails the connection.
  size_t max_packet_size = wire::kDefaultMaxPacketSize;
  // The receive ring (capacity, optional byte budget). An empty name becomes
  // "stream <id>".
  RingOptions ring{.name = ""};
  // The per-stream marshal buffer is reused across sends; after a send that
  // left it with more capacity than this it is freed (0 = always keep it).
  size_t max_marshal_buffer_bytes = size_t{1} << 20;
};

class Stream;

// The allocation-free form of StreamConfig::on_finished, for the manager,
// which makes a stream per call: an object (usually the one that owns the
// stream) told when the stream has finished.
class FinishObserver {
 public:
  // Same contract as StreamConfig::on_finished.
  virtual void OnStreamFinished(Stream& stream) = 0;

 protected:
  ~FinishObserver() = default;
};

struct StreamConfig {
  uint64_t id = 0;
  Role role = Role::kClient;
  // The connection's pool; shared by every stream of the connection.
  std::shared_ptr<BufferPool> pool;
  // The connection's writer. Must outlive the stream.
  FrameSink& sink;
  StreamOptions options = {};
  // Optional. Invoked exactly once, right after fin is set, on the task that
  // set it (the reader inside HandleFrame, an application task at the end of
  // a send, receive or terminal call, or the manager inside Cancel), after
  // the stream let go of all its locks. It may call the stream (every call
  // is then a cheap no-op or a drain), must not block for long (it may run
  // on the connection's reader task), and must not take a lock that a caller
  // of HandleFrame / Cancel / SendCancel holds across that call. The manager
  // uses it to remove the stream from its registry without a task per
  // stream.
  UniqueFunction<void()> on_finished = {};
  // Optional; told after on_finished, the same way. Must outlive the stream.
  FinishObserver* finish_observer = nullptr;
  // Optional: storage for the marshal buffer (its capacity; the bytes are
  // dropped), such as a finished stream's (TakeMarshalBuffer), so a stream
  // on a warm connection marshals without allocating.
  Buffer marshal_buffer = {};
};

// A consistent-enough view of the state, for tests and the simulator's
// checkers (each flag is read on its own; no lock is taken).
struct StreamState {
  bool send = false;
  bool recv = false;
  bool term = false;
  bool fin = false;
  bool cancel = false;
  bool reading = false;   // the read lock is held
  bool writing = false;   // the write lock is held
  bool handling = false;  // HandleFrame is running
};

class Stream {
 public:
  explicit Stream(StreamConfig config);
  // No call may be in progress. Queued receive buffers go back to the pool.
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  // ---- manager side ---------------------------------------------------

  // One incoming frame of this stream (the reader task; never concurrently).
  // Returns ok unless the CONNECTION must die:
  //   * a frame after term is dropped (ok);
  //   * an assembler error (protocol violation) is returned as is;
  //   * a completed packet has the effect of §2.2: Message is enqueued (this
  //     may block while the ring is full; a closed ring drops it); Error,
  //     Cancel, Close, CloseSend change the state and return ok; Invoke /
  //     InvokeMetadata terminate the stream with ProtocolError "invoke on
  //     existing stream" and return it; an unknown kind with the control
  //     bit is ignored, without it the stream terminates with
  //     wire::UnknownKindError and returns it.
  //   * stream-level failures (the later era's rule; the connection lives):
  //     a Message packet over options.max_packet_size (kMessageSize), or a
  //     message the ring refuses under its byte budget, or a message or
  //     partial packet the connection's memory budget has no room for
  //     (kResourceExhausted):
  //     send = EOF, terminate(err), an abortive Error frame (control bit, code
  //     8 = ResourceExhausted, text "rpc error: code = ResourceExhausted desc =
  //     <err>") goes to
  //     the peer, and HandleFrame returns ok.
  Status HandleFrame(const wire::Frame& frame);

  // The reader task, before it reads a frame's payload: where to read it
  // so the bytes land in the pooled buffer of the packet they belong to
  // (one copy per received message, docs/stream.md "Receiving in place").
  // Non-empty (exactly header.data_size bytes) only for a Message frame
  // that the assembler takes as it is and the connection's budget has room
  // for; empty: read it the usual way and pass it to HandleFrame, which
  // copies. Either way HandleFrame(frame) follows with the frame read (or
  // PayloadReadFailed if reading it failed); a frame read into the
  // destination is taken without a copy.
  MutableBytes PayloadDestination(const wire::FrameHeader& header);
  // The reader task: the payload PayloadDestination asked for could not be
  // read (the connection is going down): the packet being assembled is
  // abandoned.
  void PayloadReadFailed();

  // Local cancel, no wire (§2.3): true if the stream had already finished;
  // otherwise cancel = err, send = EOF, terminate(err), false. `err` must
  // not be ok. The manager calls it when the call's context ends and, with
  // the connection's error, when the connection dies.
  bool Cancel(Status err);

  // Soft cancel (§2.3, later era): a no-op returning ok once term is set;
  // else send = EOF (before taking the write lock, so a data send waiting on
  // back-pressure wakes), terminate(err), then a Cancel frame (control bit).
  // Receives after it return `err` at once, queued messages unread (Go's
  // behavior). Returns the writer's error through checkCancelError.
  Status SendCancel(Status err);

  uint64_t id() const { return id_; }
  Role role() const { return role_; }
  rt::Signal& terminated() { return term_; }
  rt::Signal& finished() { return fin_; }
  // term's error once term is set (ok before).
  Status termination_error() const { return term_.err(); }
  StreamState DebugState() const;

  // ---- application side: sends ----------------------------------------
  // A send returns the send signal's error (or term's) once either is set;
  // after most failures that is EOF and the real status is found by
  // receiving (§2.4). A writer error is replaced by cancel's error when
  // cancel is set.

  // One packet of `kind` (normally wire::Kind::kMessage) carrying `data`,
  // split into frames of options.split_size.
  Status RawWrite(wire::Kind kind, Bytes data);

  // Marshals `msg` into the stream's reused marshal buffer and sends it as a
  // Message. A marshal error is returned and nothing is sent.
  template <class Msg, class C>
  requires Codec<C, Msg> Status MsgSend(const Msg& msg, const C& codec) {
    const std::pair<const Msg*, const C*> ctx(&msg, &codec);
    return SendMarshaled(&MarshalThunk<Msg, C>, &ctx);
  }

  // The client's invoke sequence, atomic under the write lock (§1.10, PR
  // #52): an InvokeMetadata packet if `metadata` is not empty, then Invoke.
  Status WriteInvoke(std::string_view rpc, const wire::Metadata& metadata = {});

  // ---- application side: send sequences ------------------------------
  // A whole side of a unary exchange as ONE submission to the sink (one
  // hand-off, one transport write, contiguous on the wire), with the
  // effect of the separate calls in order and the same message ids:
  //
  //   MsgSendAndCloseSend(msg)          = MsgSend(msg); CloseSend()
  //   InvokeAndSend(rpc, md, msg)       = WriteInvoke(rpc, md); MsgSend(msg); CloseSend()
  //
  // Returns what MsgSend would (the send or term error if either is set,
  // a marshal error with nothing sent, the writer's error through
  // checkCancelError). Once the checks pass, the CloseSend transition is
  // made (send = "send closed"; "both closed" if recv is set) and the
  // frames go to the sink like a terminal packet: back-pressure delays the
  // message with its CloseSend instead of dropping it. A packet that splits
  // into several frames (a message over the split size) is not batched:
  // the separate calls are made instead (the message is marshaled twice).
  template <class Msg, class C>
  requires Codec<C, Msg> Status MsgSendAndCloseSend(const Msg& msg, const C& codec) {
    const std::pair<const Msg*, const C*> ctx(&msg, &codec);
    return SendSequence(nullptr, nullptr, &MarshalThunk<Msg, C>, &ctx);
  }
  template <class Msg, class C>
  requires Codec<C, Msg> Status InvokeAndSend(std::string_view rpc, const wire::Metadata& metadata,
                                              const Msg& msg, const C& codec) {
    const std::pair<const Msg*, const C*> ctx(&msg, &codec);
    return SendSequence(&rpc, &metadata, &MarshalThunk<Msg, C>, &ctx);
  }

  // ---- application side: receives -------------------------------------
  // A receive returns the next queued message; once the ring is closed and
  // drained, the close error: EOF after a remote CloseSend or Close, the
  // termination error otherwise (§2.4). Queued messages come first, except
  // after a SendCancel: the caller gave up, so its error comes at once.

  // The next message, copied once out of its pooled buffer.
  Result<Buffer> RawRecv();

  // Unmarshals the next message straight from its pooled buffer, which goes
  // back to the pool before MsgRecv returns (no copy, nothing held).
  template <class Msg, class C>
  requires Codec<C, Msg> Status MsgRecv(Msg& msg, const C& codec) {
    auto unmarshal = [](void* ctx, Bytes data) {
      auto& [m, c] = *static_cast<std::pair<Msg*, const C*>*>(ctx);
      return c->Unmarshal(data, *m);
    };
    std::pair<Msg*, const C*> ctx(&msg, &codec);
    return ReceiveDecoded(unmarshal, &ctx);
  }

  // ---- application side: terminal calls (§2.3) ------------------------
  // Each is a no-op returning ok once term is set. Each sends one frame
  // with no cancel signal (back-pressure delays it, never drops it) and
  // returns the writer's error through checkCancelError.

  // No more messages from this side: send = DrpcError "send closed"; if the
  // remote already closed its send side too, terminate(DrpcError "both
  // closed"). No-op if send is already set.
  Status CloseSend();
  // terminate(DrpcError "terminated by sending close"); sends Close.
  Status Close();
  // send = EOF; terminate(DrpcError "terminated by sending error"); sends
  // Error with err.wire_code() and err.message(). `err` must not be ok.
  Status SendError(const Status& err);

 protected:
  // For the stream's owner, from its destructor (no call running): the
  // marshal buffer, no longer counted, for another stream to reuse
  // (StreamConfig::marshal_buffer). Empty under the plant
  // kStreamLeakMarshalAccounting, whose leak ~Stream must still make.
  Buffer TakeMarshalBuffer();

 private:
  class OpScope;  // holds read_ or write_ for one call; checks for fin after
  using MarshalFn = Status (*)(const void* ctx, Buffer& out);
  using UnmarshalFn = Status (*)(void* ctx, Bytes data);

  // Marshals through a (const Msg*, const C*) pair.
  template <class Msg, class C>
  static Status MarshalThunk(const void* ctx, Buffer& out) {
    const auto& [m, c] = *static_cast<const std::pair<const Msg*, const C*>*>(ctx);
    return c->Marshal(*m, out);
  }

  Status SendMarshaled(MarshalFn marshal, const void* ctx);
  // The send sequences: [InvokeMetadata] Invoke (if `rpc`), Message, CloseSend.
  Status SendSequence(const std::string_view* rpc, const wire::Metadata* metadata,
                      MarshalFn marshal, const void* ctx);
  // The separate calls SendSequence stands for (packets over one frame).
  Status SendSequenceUnbatched(const std::string_view* rpc, const wire::Metadata* metadata,
                               MarshalFn marshal, const void* ctx);
  Status ReceiveDecoded(UnmarshalFn unmarshal, void* ctx);
  Status HandleFrameInFlight(const wire::Frame& frame);
  Status HandlePacket(const wire::Packet& packet);
  // The reader task. The frame's data into partial_ (none if it was read
  // there in place); ResourceExhausted if the budget has no room.
  Status PlaceFrameData(const wire::Frame& frame);
  // The reader task (or the destructor): partial_ goes back to the pool;
  // `reason` is what the ledger records (RingBuffer::EndAssembly).
  void EndPartial(const char* reason);
  Status HandleRemoteTerminal(const wire::Packet& packet);
  Status FailStreamFromPeer(Status err);

  // What to run once fin is set, after every lock is let go.
  struct FinishedCalls {
    UniqueFunction<void()> fn;
    FinishObserver* observer = nullptr;
    bool fin = false;  // fin was just set: the lent buffer goes to the sink first
    explicit operator bool() const { return fin; }
  };

  // The one protocol of every call that changes the state and sends a frame
  // about it (its steps and lock order are at the definition, stream.cc):
  //   begin()              -> std::optional<Status>   under mu
  //   transition(pending)  -> void or optional        under mu and write
  //   send()               -> Status                  under write only
  // A status from begin or transition ends the call with it, nothing sent.
  template <class Begin, class Transition, class Send>
  Status TerminalCall(const Begin& begin, const Transition& transition, const Send& send);
  // begin() of a terminal call: ok once term is set, else go on.
  std::optional<Status> OkOnceTerminated() const;

  // The frame of an abortive call: Cancel, or Error(code, text); control.
  struct OwedFrame {
    wire::Kind kind = wire::Kind::kCancel;
    uint64_t code = 0;
    std::string text;
  };
  // The protocol of SendCancel and FailStreamFromPeer: terminate under mu
  // at once, never wait for write; the frame is sent by whoever holds write
  // next (steps at the definition, stream.cc).
  template <class Transition>
  Status AbortiveCall(const Transition& transition, OwedFrame frame);
  // Lets go of write, then sends the owed abortive frame if there is one.
  void ReleaseWrite();
  // Sends the owed abortive frame if write is free (else its holder will);
  // the writer's error if this call sent it.
  Status SendOwedFrame();

  // mu_ held. Sets send/recv/term, closes the ring, checks for fin.
  void TerminateLocked(const Status& err, FinishedCalls& pending);
  // mu_ held. Sets fin if it may; then moves the finish callbacks into `pending`.
  void CheckFinishedLocked(FinishedCalls& pending);
  // After a read, write or HandleFrame let go (no lock held).
  void CheckFinishedAfterRelease();
  void RunFinished(FinishedCalls& pending);

  // write_ held. A data packet (§2.1 rawWrite). `owner` (may be null) is
  // the buffer `data` lie in, offered to the sink to take (FrameSink::
  // WriteFramesTaking), or lent if the packet is over one frame; it may
  // come back as another buffer.
  Status WritePacketLocked(uint8_t kind, Bytes data, Buffer* owner = nullptr);
  // write_ held. Every frame of a packet was lent from `owner`: it becomes
  // lent_buffer_, and `owner` gets the one lent before it back once the
  // sink has written that one's frames (or an empty buffer).
  void KeepLentLocked(Buffer& owner);
  // The stream sends nothing more (fin, or destruction): its lent buffer
  // goes to the sink, which frees it once its frames are written.
  void ReleaseLent();
  void MeterLentBuffer() { lent_meter_.Set(lent_buffer_.capacity()); }
  // write_ held. A terminal packet: one frame, no send/term check, no cancel.
  Status WriteTerminalLocked(wire::Kind kind, bool control, Bytes data);
  // `burst`: the frame goes with FrameSink::QueueFrame (see WritePacketLocked).
  Status WriteFrameToSink(const wire::Frame& frame, rt::Signal* cancel, bool burst = false);
  // frames[taken] (if taken < size) has its data in `owner` (default:
  // marshal_buffer_), offered to the sink to take.
  Status WriteFramesToSink(std::span<const wire::Frame> frames, rt::Signal* cancel,
                           size_t taken = SIZE_MAX, bool burst = false, Buffer* owner = nullptr,
                           FrameSink::Handover handover = FrameSink::Handover::kIfLarge);
  Status CheckCancelError(Status err) const;
  // write_ held. Encodes an Error payload into marshal_buffer_ and sends it.
  Status WriteErrorLocked(uint64_t code, std::string_view text, bool control);
  void TrimMarshalBuffer();
  // write_ held. Counts marshal_buffer_'s capacity within the connection's
  // send limit (ResourceMeter::SendLimit), or frees it and returns
  // ResourceExhausted (nothing was sent). Right after encoding, so a send
  // waiting on back-pressure is seen holding its message.
  Status ChargeMarshalBuffer();
  // write_ held. Counts marshal_buffer_'s capacity now (one compare when it
  // did not change): right after encoding, so a send waiting on
  // back-pressure is seen holding its message.
  void MeterMarshalBuffer() { marshal_meter_.Set(marshal_buffer_.capacity()); }

  const uint64_t id_;
  const Role role_;
  const StreamOptions options_;
  FrameSink& sink_;

  rt::Signal send_;
  rt::Signal recv_;
  rt::Signal term_;
  rt::Signal fin_;
  rt::Signal cancel_;

  rt::Mutex mu_;  // transitions; guards on_finished_
  InspectableMutex write_;
  InspectableMutex read_;
  rt::Atomic<bool> handling_;  // HandleFrame is running (one reader task)
  // A Message arrived since this stream last sent one (set by the reader,
  // taken by the sender). A performance hint only: it picks how a message
  // goes to the sink, never whether or in what order.
  rt::Atomic<bool> peer_message_since_send_;
  // SendCancel went on: receives return term's error, queued messages unread.
  rt::Atomic<bool> soft_canceled_;
  // An abortive call's frame waits for write (AbortiveCall); fin waits for
  // it. owed_ is written under mu before the flag is set, once per stream
  // (term is set with it), and read by whoever clears the flag.
  rt::Atomic<bool> abort_owed_;
  OwedFrame owed_;

  RingBuffer ring_;
  wire::PacketAssembler assembler_;  // the reader task's (inside HandleFrame)
  // The reader task's: the pooled buffer of the packet being assembled
  // (assembler_ checks the rules, this holds the bytes). Declared after
  // ring_, so it goes first.
  PooledBuffer partial_;
  uint64_t send_message_id_ = 0;  // guarded by write_
  Buffer marshal_buffer_;         // guarded by write_
  MeteredBytes marshal_meter_;    // guarded by write_: its capacity, in the pool's meter
  // The buffer the last message over one frame was lent from, and its
  // ticket (FrameSink::LendingTicket; 0: none): two buffers take turns, so
  // a sender marshals its next message while the last one is written, and
  // waits only for the one before (KeepLentLocked). Guarded by write_;
  // after fin, ReleaseLent's alone (no send touches it then).
  Buffer lent_buffer_;
  uint64_t lent_ticket_ = 0;
  MeteredBytes lent_meter_;             // lent_buffer_'s capacity, as kMarshal
  UniqueFunction<void()> on_finished_;  // guarded by mu_; moved out when fin is set
  FinishObserver* const finish_observer_;
  // Leases alive in receives that began before term (checked builds): must
  // be 0 when fin is set.
  rt::Atomic<uint32_t> early_leases_;
};

}  // namespace drpc::stream
