// What a hostile peer can do (sim/peers/hostile_peer.h): each behaviour is
// one action of its drawn program, valid bytes or a mutation of them
// (issue 12, "Hostile peers"; the frame layout is drpc-protocol.md §1.3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace drpc::sim::peers {

enum class Behaviour : uint8_t {
  kValidCall,          // a well-formed unary call (metadata sometimes), fresh stream id
  kGarbage,            // 1-64 bytes drawn from the tape
  kTruncatedFrame,     // a valid frame cut short; what follows it misparses
  kOverlongVarint,     // a header byte and ten varint bytes with the continuation bit
  kHugeLength,         // a frame declaring far more data than it sends (up to 2^64-1)
  kStreamIdZero,       // a frame for stream id 0
  kReusedId,           // an Invoke for a stream id already used
  kDecreasingId,       // an Invoke for an id below the highest used (new or reused)
  kUnfinishedPacket,   // an Invoke or Message whose last frame never comes
  kKindChange,         // a packet whose kind changes between its frames
  kUnknownKind,        // a frame of an unassigned kind (9..63), control bit drawn
  kInvokeFlood,        // many unary calls written back to back
  kMetadataAtLimit,    // an InvokeMetadata packet of exactly the server's invoke limit
  kMetadataOverLimit,  // one byte over it
  kSlowloris,          // a valid call, one byte per virtual second
  kIdle,               // nothing for a while (virtual time)
  kMessageFlood,       // one call whose request is followed by many Messages, no CloseSend
};
inline constexpr size_t kBehaviourCount = 17;

// "valid-call", "garbage", ...
std::string_view BehaviourName(Behaviour behaviour);

// A set of behaviours, as a bit mask (the peer draws from those in it).
class BehaviourSet {
 public:
  constexpr BehaviourSet() = default;
  static constexpr BehaviourSet All() {
    BehaviourSet s;
    s.bits_ = (uint32_t{1} << kBehaviourCount) - 1;
    return s;
  }
  constexpr BehaviourSet& Add(Behaviour b) {
    bits_ |= Bit(b);
    return *this;
  }
  constexpr BehaviourSet& Remove(Behaviour b) {
    bits_ &= ~Bit(b);
    return *this;
  }
  constexpr bool Has(Behaviour b) const { return (bits_ & Bit(b)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  // The members in enum order.
  size_t size() const;
  Behaviour Nth(size_t index) const;

 private:
  static constexpr uint32_t Bit(Behaviour b) { return uint32_t{1} << static_cast<uint32_t>(b); }
  uint32_t bits_ = 0;
};

// Actions of each behaviour a peer (or many) performed: for tests and sweeps
// to show that every mutation class is reached.
using BehaviourCounts = std::array<uint64_t, kBehaviourCount>;

}  // namespace drpc::sim::peers
