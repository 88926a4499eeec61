// Planted bugs: named one-line sites in the library that misbehave on purpose
// when a run switches them on, so a test can show that a checker catches the
// bug the site plants (FoundationDB's SimBugInjector, in miniature).
//
//   if (DRPC_PLANT(kRingDoubleDone)) pool_->Return(block, gen, "done again");
//
//   plant::ScopedPlants on(plant::Set{plant::Site::kRingDoubleDone});
//   ... run the ring; the checker must report a double release ...
//
// In unchecked builds (DRPC_CHECKED=0) DRPC_PLANT is the constant `false`, so
// a site compiles to nothing. In checked builds it reads one process-wide
// bit set. The set is configuration, not state: it is written only while no
// library task runs (before a simulated run starts, or before an OS test
// starts its threads) and is read-only while the code under test runs.
// Simulated runs carry their set in sim::RunOptions::plants, so it is printed
// in a failure report and recorded in the choice log and the replay line.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "drpc/base/check.h"

namespace drpc::plant {

// Every site, by layer. Names (Name below) are "<layer>.<bug>".
enum class Site : uint8_t {
  // stream: the receive ring and its leases (docs/stream.md, "Planted bugs").
  kRingDoubleDone,              // ring.double-done: Done returns the buffer twice
  kRingCloseReleasesHeld,       // ring.close-releases-held: Close returns the held buffer
  kRingLeakQueued,              // ring.leak-queued: Close and ~Ring drop queued buffers
  kRingEnqueueLeaksOnClose,     // ring.enqueue-leaks-on-close: a refused buffer is dropped
  kRingDequeueSkipsAdvance,     // ring.dequeue-skips-advance: duplicate delivery
  kRingDequeueAdvancesTwice,    // ring.dequeue-advances-twice: a message is lost
  kRingCloseWakesOnlyConsumer,  // ring.close-wakes-only-consumer: lost wakeup
  kRingPreFix89d4b63,           // ring.prefix-89d4b63: upstream's bug before 89d4b63
  // stream: the state machine's terminal calls.
  kStreamTerminalHoldsMu,        // stream.terminal-holds-mu: mu held while the frame waits
                                 // for the writer (the deadlock fixed in 85c6f8e)
  kStreamLeakMarshalAccounting,  // stream.leak-marshal-accounting: a destroyed stream's
                                 // marshal buffer stays counted in the connection's meter
  kStreamFinIgnoresRead,         // stream.fin-ignores-read: fin is set while a receive
                                 // that began before term is still inside
  kStreamCancelLocksBeforeWake,  // stream.cancel-locks-before-wake: SendCancel takes the
                                 // write lock without first waking a send blocked on
                                 // back-pressure (it holds that lock)
  kStreamAbortWaitsForWrite,     // stream.abort-waits-for-write: SendCancel waits for the
                                 // write lock holding mu, behind a terminal frame parked on
                                 // back-pressure (found by layers.stalled-close)
  // manager: one transport, many streams.
  kManagerLeakDroppedStreams,     // manager.leak-dropped-streams
  kManagerCloseWaitsForTermOnly,  // manager.close-waits-for-term-only
  kManagerRegisterAfterClose,     // manager.register-after-close
  kManagerDropInterleavedFrame,   // manager.drop-interleaved-frame
  kManagerLingerUnbounded,        // manager.linger-unbounded: Close waits for the
                                  // peer's EOF with no time limit (a half-open peer)
  // stream: the packet being assembled in a pooled buffer (issue 15).
  kAssemblyLeakOnCancel,       // assembly.leak-on-cancel: a canceled stream's partial
                               // packet buffer is forgotten, never returned
  kAssemblyKeepsReplaced,      // assembly.keeps-replaced: a higher message id does not
                               // drop the partial packet's bytes; the new packet follows them
  kAssemblyLeakOverLimit,      // assembly.leak-over-limit: a packet past max_packet_size
                               // forgets its buffer
  kAssemblyPutOnTeardown,      // assembly.put-on-teardown: a payload read cut by the
                               // connection's end returns the buffer with no reason
  kManagerFinishedIdAccepted,  // manager.finished-id-accepted: an Invoke for a stream
                               // id already used (and finished) opens a new stream
  kManagerWriterBypassesMark,  // manager.writer-bypasses-mark: data frames never wait
                               // for the writer's high-water mark
  // rpc: server and connections.
  kRpcServeAfterStopKeepsListener,  // rpc.serve-after-stop-keeps-listener: a Serve
                                    // after Stop returns without closing its listener
  kRpcResetReplyOk,  // rpc.reset-reply-ok: a unary call whose connection fails while it
                     // waits for the reply returns ok with an empty reply
  // rt: the runtime's primitives.
  kRtSignalWaitsOnce,  // rt.signal-waits-once: Signal::wait waits once, without
                       // looping on "set" (only a spurious wake-up breaks it:
                       // the rt.spurious-wakeup fault site)
  // wire: framing, packet assembly and metadata (docs/wire.md).
  kWireOverlongVarintAccepted,     // wire.overlong-varint-accepted: ten varint bytes
                                   // with the continuation bit parse as a value
  kWirePartialKeptAcrossId,        // wire.partial-kept-across-id: a partial packet is kept
                                   // when a frame with a higher message id starts a new one
  kWireTruncatedMetadataAccepted,  // wire.truncated-metadata-accepted: a metadata field
                                   // whose length runs past the data is cut short, not refused
  // stream: a message of several frames lent from one of two buffers (issue 15).
  kStreamReusesLentBuffer,  // stream.reuses-lent-buffer: a sender takes back the buffer it
                            // lent the message before without waiting until the writer
                            // wrote those frames, and marshals its next message into it
  kCount,
};
inline constexpr int kSiteCount = static_cast<int>(Site::kCount);
static_assert(kSiteCount <= 64, "Set is one 64-bit word");

std::string_view Name(Site site);                     // "ring.double-done"
std::optional<Site> FromName(std::string_view name);  // nullopt if unknown

// A set of sites: a value type, cheap to copy and compare.
class Set {
 public:
  constexpr Set() = default;
  constexpr Set(std::initializer_list<Site> sites) {
    for (Site s : sites) bits_ |= Bit(s);
  }
  constexpr bool contains(Site s) const { return (bits_ & Bit(s)) != 0; }
  constexpr void insert(Site s) { bits_ |= Bit(s); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr uint64_t bits() const { return bits_; }
  friend constexpr bool operator==(Set, Set) = default;

  // "ring.double-done,manager.leak-dropped-streams" in site order; "" if empty.
  std::string ToString() const;
  // The inverse of ToString (also "none" for the empty set); nullopt and
  // `error` for an unknown name.
  static std::optional<Set> Parse(std::string_view text, std::string& error);

 private:
  static constexpr uint64_t Bit(Site s) { return uint64_t{1} << static_cast<int>(s); }
  uint64_t bits_ = 0;
};

// The sites whose bug reads memory after it was freed (a lent buffer
// reallocated under the writer): ASan reports that before any check of ours
// sees the bug, so in an ASan build their tests expect ASan's report instead
// of the check's outcome.
inline constexpr Set kTouchesFreedMemory = {Site::kStreamReusesLentBuffer};
constexpr bool TouchesFreedMemory(Set plants) {
  return (plants.bits() & kTouchesFreedMemory.bits()) != 0;
}

#if DRPC_CHECKED
namespace internal {
extern std::atomic<uint64_t> active_bits;  // plant.cc; see the file comment
}  // namespace internal
// Whether `site` is on. A relaxed atomic load: no rt operation, so a site is
// never a scheduling point and does not change a run's trace.
inline bool Active(Site site) {
  return (internal::active_bits.load(std::memory_order_relaxed) >> static_cast<int>(site)) & 1;
}
Set ActiveSet();
// Replaces the active set; returns the previous one. Call only while no
// code under test runs (see the file comment).
Set SetActive(Set sites);
#define DRPC_PLANT(site) (::drpc::plant::Active(::drpc::plant::Site::site))
#else
inline constexpr bool Active(Site) { return false; }
inline Set ActiveSet() { return {}; }
// Unchecked builds have no plants: asking for one is a usage error.
Set SetActive(Set sites);
#define DRPC_PLANT(site) false
#endif

// Switches `sites` on for its lifetime, then restores the previous set.
class ScopedPlants {
 public:
  explicit ScopedPlants(Set sites) : previous_(SetActive(sites)) {}
  ~ScopedPlants() { SetActive(previous_); }
  ScopedPlants(const ScopedPlants&) = delete;
  ScopedPlants& operator=(const ScopedPlants&) = delete;

 private:
  Set previous_;
};

}  // namespace drpc::plant
