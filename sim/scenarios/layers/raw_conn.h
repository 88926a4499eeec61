// A raw connection for the layer scenarios: a task that reads what the other
// end sends and assembles its Message packets by stream, so a scenario can
// write hand-made bytes and check exactly what came back.
//
//   RawConn conn(std::move(dialed.transport));
//   conn.Write(bytes);
//   conn.WaitEnded(rt::now() + 20ms);   // the other end closed, or the time passed
//   conn.Close();                       // also joins the reader
//   conn.messages(1);                   // Message packets of stream 1, in order
//
// Simulator only (it parses with drpc/wire, runs on rt tasks).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"
#include "drpc/rt/signal.h"
#include "drpc/rt/task.h"
#include "drpc/rt/time.h"
#include "drpc/rt/transport.h"

namespace drpc::sim::layers {

class RawConn {
 public:
  RawConn(std::string name, std::unique_ptr<rt::Transport> transport);
  ~RawConn();  // Close()
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  Status Write(Bytes data);
  // True once the reader ended (EOF or an error) by `deadline`.
  bool WaitEnded(rt::TimePoint deadline);
  // True once stream `stream_id` has `count` Message packets, or the reader
  // ended, by `deadline`.
  bool WaitMessages(uint64_t stream_id, size_t count, rt::TimePoint deadline);
  // Closes the transport and joins the reader. Idempotent.
  void Close();

  bool ended() const { return ended_.is_set(); }
  const std::vector<std::string>& messages(uint64_t stream_id) { return messages_[stream_id]; }
  // Packets of any kind, by stream, as "<kind name>" (Message packets too).
  const std::vector<std::string>& kinds(uint64_t stream_id) { return kinds_[stream_id]; }
  // What ended the reader ("" while it reads, "malformed: ..." for bytes
  // that are not frames).
  const std::string& end() const { return end_; }

 private:
  void ReadLoop();
  void Parse();

  const std::string name_;
  std::unique_ptr<rt::Transport> transport_;
  rt::Signal ended_;
  std::vector<uint8_t> unparsed_;
  std::map<std::pair<uint64_t, uint64_t>, std::string> partial_;  // (stream, message) -> data
  std::map<uint64_t, std::vector<std::string>> messages_;
  std::map<uint64_t, std::vector<std::string>> kinds_;
  std::string end_;
  rt::Task reader_;
  bool closed_ = false;
};

}  // namespace drpc::sim::layers
