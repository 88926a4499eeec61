// A hostile peer: a task that speaks raw bytes over any rt::Transport, as a
// client attacking a server (or, PeerRole::kServer, a server attacking a client). It draws a
// program from the run's tape (sim::Choose, kind kWorkload) and performs it: valid calls and their
// mutations (behaviour.h lists them, frame_mutations.h makes the bytes).
//
//   sim::net::Dialed d = *listener.Dial();
//   peers::HostilePeer peer(std::move(d.transport), {.release = &release});
//   rt::Task t = rt::spawn("hostile", [&] { peer.Run(); });
//   ...; release.set(OkStatus()); t.join();
//   peer.report().actions;  // what it did
//
// Reading: a peer that reads drains and parses what the server sends on a
// task of its own (counting replies and Error codes); one that never reads
// leaves it in the transport, so the server's writes back up. Whether it
// reads is drawn unless PeerOptions::reads says.
//
// After its program the peer holds the connection open until `release` is
// set (nullptr: it closes at once), or until the server closes it (a peer
// that reads sees that). A write error (the server dropped the connection)
// ends the program. Simulator only: it asks sim::Choose.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"
#include "sim/peers/behaviour.h"

namespace drpc::sim::peers {

enum class Reads : uint8_t { kDrawn, kAlways, kNever };

// kClient attacks a server (it opens streams). kServer attacks a client on
// the accepting end of a connection: its "valid call" is a reply (Message,
// CloseSend) and every behaviour aims at the newest stream the client
// opened, as its reader saw it (ids count up from 1 until it sees one).
enum class PeerRole : uint8_t { kClient, kServer };

struct PeerOptions {
  std::string name = "hostile";
  PeerRole role = PeerRole::kClient;
  BehaviourSet behaviours = BehaviourSet::All();
  size_t max_actions = 6;  // the program has 1..max_actions actions
  // What it calls, and the server's limits it aims at.
  std::string rpc = "/sim.Test/Echo";
  size_t max_invoke_bytes = 64 * 1024;      // metadata-at/over-limit
  size_t max_frame_size = size_t{4} << 20;  // huge-length declares more than this
  size_t min_flood = 2;                     // invoke-flood: min_flood..max_flood calls
  size_t max_flood = 200;
  size_t flood_messages = 16;        // message-flood: Messages after the request
  size_t flood_message_bytes = 256;  // and the size of each
  // slowloris: a call with a request this long, sent one byte per period;
  // its last bytes never come.
  size_t slowloris_bytes = 40;
  rt::Duration slowloris_period = std::chrono::seconds(1);
  rt::Duration max_idle = std::chrono::seconds(2);
  Reads reads = Reads::kDrawn;
  rt::Signal* release = nullptr;
};

struct PeerReport {
  std::vector<Behaviour> program;  // as drawn
  BehaviourCounts actions{};       // actions started (their first byte was offered)
  bool reads = false;
  uint64_t bytes_written = 0;
  uint64_t bytes_read = 0;
  Status write_error;  // the first failed write (the connection is gone)
  Status read_error;   // how reading ended (kEof: the server closed)
  // What the reader parsed: Message packets, and Error packets by code.
  uint64_t messages_received = 0;
  std::map<uint64_t, uint64_t> error_codes;
  uint64_t errors_received() const;
};

class HostilePeer {
 public:
  HostilePeer(std::unique_ptr<rt::Transport> transport, PeerOptions options);
  ~HostilePeer();
  HostilePeer(const HostilePeer&) = delete;
  HostilePeer& operator=(const HostilePeer&) = delete;

  // Draws the program and performs it on the calling task (see above).
  // Once.
  void Run();

  // Valid once Run returned (the reader task is joined by then); the
  // counters may be read before, between the peer's steps.
  const PeerReport& report() const { return report_; }
  // A reading peer's reader ended: the server closed the connection (or
  // the peer did).
  bool read_ended() const { return read_done_.is_set(); }

 private:
  void Perform(Behaviour behaviour);
  void ReadLoop();
  void Parse();
  // Writes unless an earlier write failed; false once the connection is gone.
  bool Write(Bytes data);
  // Waits for `d` of virtual time, cut short by the release.
  void Pause(rt::Duration d);
  bool Released() const;
  uint64_t FreshId();
  uint64_t Draw(uint64_t n) const;

  const std::unique_ptr<rt::Transport> transport_;
  const PeerOptions options_;
  PeerReport report_;
  rt::Signal read_done_{"hostile.read_done"};
  uint64_t next_id_ = 1;           // the lowest id never used
  uint64_t last_client_id_ = 0;    // kServer: the newest stream the client invoked
  std::vector<uint8_t> unparsed_;  // the reader's bytes not yet a whole frame
  bool parse_broken_ = false;      // the server sent what is not a frame
};

}  // namespace drpc::sim::peers
