// OpenOrder: a client connection's FrameSink in front of its MuxWriter that
// makes stream ids reach the wire in increasing order (drpc-protocol.md §4.4;
// Go closes the connection on "id monotonicity violation"). A stream's id
// (Stream::id(), Reserve) is local; its wire id is given at its first frame,
// in the order first frames reach the writer, and every frame of the stream
// is written with it. So streams may write their first frames in any order
// (open A, open B, invoke B first): no caller rule. docs/manager.md, "Stream
// ids".
//
//   OpenOrder order(writer);
//   uint64_t id = order.Reserve();        // NewClientStream: the local id
//   order.WriteFrame(frame, cancel);      // the stream's sink: frame.stream_id is local
//   uint64_t local = order.LocalId(wire); // the reader, routing a frame (0: none)
//   order.Forget(id);                     // the stream finished (or never registered)
//
// Thread-safe. Its lock is a leaf: frames are handed to the writer outside
// it, so a writer waiting for a drain never holds up the reader.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/manager/mux_writer.h"
#include "drpc/rt/mutex.h"
#include "drpc/rt/signal.h"
#include "drpc/stream/frame_sink.h"

namespace drpc::manager {

class OpenOrder final : public stream::FrameSink {
 public:
  explicit OpenOrder(MuxWriter& writer);
  OpenOrder(const OpenOrder&) = delete;
  OpenOrder& operator=(const OpenOrder&) = delete;

  // The next local stream id (1, 2, ...), not yet on the wire.
  uint64_t Reserve();
  // The stream of local id `id` writes nothing more; its wire id is retired
  // (frames the peer still sends for it are dropped as late).
  void Forget(uint64_t id);
  // The local id of the stream writing as `wire_id`; 0 if none does.
  uint64_t LocalId(uint64_t wire_id) const;

  Status WriteFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  Status QueueFrame(const wire::Frame& frame, rt::Signal* cancel) override;
  Status WriteFrames(std::span<const wire::Frame> frames, rt::Signal* cancel) override;
  Status WriteFramesTaking(std::span<const wire::Frame> frames, size_t taken, Buffer& payload,
                           rt::Signal* cancel, bool burst, Handover handover) override;
  // Lending is the writer's: tickets count its submissions.
  uint64_t LendingTicket() override;
  bool WaitWritten(uint64_t ticket, rt::Signal* cancel) override;
  void ReleaseLent(Buffer payload, uint64_t ticket) override;

 private:
  // Runs `submit(wire_id)` (a write to the writer) once the stream of local
  // id `id` may reach the wire as `wire_id`.
  // WriteFrames, or WriteFramesTaking when `payload` is set.
  Status SubmitFrames(std::span<const wire::Frame> frames, size_t taken, Buffer* payload,
                      rt::Signal* cancel, bool burst, Handover handover = Handover::kIfLarge);
  // A cancel (set `cancel`) ends a first frame's wait for its turn: its
  // wire id is then never used (the ids after it skip it; a gap is fine,
  // drpc-protocol.md §1.5) and the stream's later frames are refused.
  template <class Submit>
  Status OnTheWire(uint64_t id, rt::Signal* cancel, const Submit& submit);
  // Waits (releasing `lock`) until next_submit_ moves or `cancel` is set.
  void WaitForTurnMove(rt::Lock& lock, rt::Signal* cancel, const char* label);
  // Moves next_submit_ past `wire_id` and every abandoned id after it.
  void AdvanceLocked(uint64_t wire_id);
  using IdMap = std::map<uint64_t, uint64_t>;
  // mu_ held. Adds key -> value to `map` in a spare node if there is one.
  void InsertLocked(IdMap& map, uint64_t key, uint64_t value);
  // mu_ held. Removes the entry at `it`, keeping its node as a spare.
  void EraseLocked(IdMap& map, IdMap::iterator it);

  // The spare nodes kept at most: one stream's two is enough for sequential
  // calls; a few more cover a handful in flight. Bounded by this side's own
  // opens, not by the peer: 16 nodes of ~48 bytes.
  static constexpr size_t kMaxSpareNodes = 16;

  MuxWriter& writer_;
  mutable rt::Mutex mu_;
  std::shared_ptr<rt::Signal> turn_moved_;  // guarded by mu_: set when next_submit_ moves
  uint64_t next_local_ = 1;                 // guarded by mu_
  uint64_t next_wire_ = 1;                  // guarded by mu_
  uint64_t next_submit_ = 1;  // guarded by mu_: the wire id whose first frame goes next
  IdMap wire_of_;             // guarded by mu_: local id -> wire id
  IdMap local_of_;            // guarded by mu_: wire id -> local id
  // guarded by mu_: nodes of finished streams' entries, reused for the next
  // stream's (both maps have one node type), so opening a stream on a warm
  // connection does not allocate. Reserved to kMaxSpareNodes up front.
  std::vector<IdMap::node_type> spare_nodes_;
  std::set<uint64_t> skipped_;     // guarded by mu_: abandoned ids not yet passed
  std::set<uint64_t> never_sent_;  // guarded by mu_: abandoned ids until Forget
};

}  // namespace drpc::manager
