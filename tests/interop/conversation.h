// A conversation between a C++ drpc endpoint (Server or Conn) and a scripted
// Go peer that replays its side of a capture, in the order the real
// conversation had.
//
//   ScriptedPeer peer;
//   spawn: server.ServeOne(peer.Transport());
//   EXPECT_TRUE(RunScript(peer, c2s, {
//       PeerSends(0, 4, "InvokeMetadata, Invoke, Message, CloseSend"),
//       AwaitCpp(2, "the reply and CloseSend"),
//       PeerSends(4, 5, "Close: Go sends it once it has the reply"),
//       PeerHangsUp("the Go client closes its connection"),
//   }));
//   ... join the C++ side, then compare peer.written() with the other capture.
//
// The C++ side's transport reads exactly the bytes the peer has sent so far
// (in pieces of at most `read_size` bytes, to check that frame boundaries
// and read boundaries are independent), then blocks until the peer sends
// more, hangs up (EOF) or the C++ side closes it. Everything it writes is
// recorded; writes after either side closed are recorded too, so "writes
// nothing more" is checkable.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
#include "tests/interop/capture.h"

namespace drpc::interop {

// Far beyond any wait that must end by the other side acting: only a hang
// or a missing frame reaches it (a liveness bound, not a speed assertion).
inline constexpr rt::Duration kLiveness = std::chrono::seconds(30);

namespace detail {
struct Line;  // the peer's and the transport's shared state
}

class ScriptedPeer {
 public:
  // read_size 0: each read gets everything sent and not yet read (up to the
  // reader's buffer); n > 0: at most n bytes per read.
  explicit ScriptedPeer(size_t read_size = 0);
  ~ScriptedPeer();
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  // The C++ side's end of the connection. Call once.
  std::unique_ptr<rt::Transport> Transport();

  // The peer writes `bytes` (the C++ side reads them next).
  void Send(const std::vector<uint8_t>& bytes);
  // The peer closes the connection: the C++ side reads EOF after the bytes
  // already sent.
  void HangUp();
  // Waits until the C++ side has written at least `frames` whole frames in
  // all; false if `deadline` passed first.
  bool AwaitWritten(size_t frames, rt::TimePoint deadline);
  // Waits until the C++ side closed its transport; false on timeout.
  bool AwaitClosed(rt::TimePoint deadline);

  std::vector<uint8_t> written() const;
  bool closed_by_cpp() const;

 private:
  std::shared_ptr<detail::Line> line_;
  bool transport_taken_ = false;
};

// One step of a conversation script.
struct Step {
  enum class Action { kSend, kAwaitFrames, kAwaitClose, kHangUp };
  Action action = Action::kSend;
  size_t first = 0;   // kSend: frames [first, last) of the peer's capture
  size_t last = 0;    //
  size_t frames = 0;  // kAwaitFrames: whole frames the C++ side wrote in all
  std::string why;    // shown when the step fails
};

inline Step PeerSends(size_t first, size_t last, std::string why) {
  return Step{Step::Action::kSend, first, last, 0, std::move(why)};
}
inline Step AwaitCpp(size_t frames, std::string why) {
  return Step{Step::Action::kAwaitFrames, 0, 0, frames, std::move(why)};
}
inline Step AwaitCppCloses(std::string why) {
  return Step{Step::Action::kAwaitClose, 0, 0, 0, std::move(why)};
}
inline Step PeerHangsUp(std::string why) {
  return Step{Step::Action::kHangUp, 0, 0, 0, std::move(why)};
}

// Runs `script` in order, sending frames of `peer_capture` (what the Go peer
// wrote). Stops at the first await that has not happened within `liveness`
// and says which step it was and what the C++ side had written by then.
::testing::AssertionResult RunScript(ScriptedPeer& peer, const Capture& peer_capture,
                                     const std::vector<Step>& script,
                                     rt::Duration liveness = kLiveness);

}  // namespace drpc::interop
