// Helpers for the wire tests: the shared hex and frame-copy helpers
// (tests/common), the raw kind numbers, packet copies, scripted byte sources
// and sinks, and the interop captures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/base/status.h"
#include "drpc/wire/byte_io.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/packet.h"
#include "tests/common/frame_copy.h"
#include "tests/common/hex.h"

namespace drpc::wire {

// The kinds as the raw numbers frames carry, as F() and P() take them.
// Declared in drpc::wire so the tests read F(kMessage, ...); only tests
// include this header.
inline constexpr uint8_t kInvoke = ToRaw(Kind::kInvoke);
inline constexpr uint8_t kMessage = ToRaw(Kind::kMessage);
inline constexpr uint8_t kError = ToRaw(Kind::kError);
inline constexpr uint8_t kCancel = ToRaw(Kind::kCancel);
inline constexpr uint8_t kClose = ToRaw(Kind::kClose);
inline constexpr uint8_t kCloseSend = ToRaw(Kind::kCloseSend);
inline constexpr uint8_t kInvokeMetadata = ToRaw(Kind::kInvokeMetadata);
inline constexpr uint8_t kWindowUpdate = ToRaw(Kind::kWindowUpdate);

}  // namespace drpc::wire

namespace drpc::wire::testing {

using ::drpc::testing::FrameCopy;
using ::drpc::testing::Hex;
using ::drpc::testing::ParseAll;
using ::drpc::testing::ToHex;

inline Bytes View(const std::vector<uint8_t>& bytes) { return Bytes(bytes.data(), bytes.size()); }
std::vector<uint8_t> Repeat(uint8_t byte, size_t count);
std::vector<uint8_t> Concat(std::initializer_list<std::vector<uint8_t>> parts);

// A packet that owns its data, for comparisons and readable failures.
struct PacketCopy {
  uint64_t stream_id = 0;
  uint64_t message_id = 0;
  uint8_t kind = 0;
  bool control = false;
  std::string data;

  static PacketCopy Of(const Packet& packet);
  friend bool operator==(const PacketCopy&, const PacketCopy&) = default;
};
void PrintTo(const PacketCopy& packet, std::ostream* os);

// Short constructors: F(kind, stream, message, done, data[, control]).
FrameCopy F(uint8_t kind, uint64_t stream, uint64_t message, bool done, std::string data = "",
            bool control = false);
PacketCopy P(uint8_t kind, uint64_t stream, uint64_t message, std::string data = "",
             bool control = false);

// Reads `bytes` through a FrameReader, in reads of at most `max_read` bytes,
// into one PacketAssembler per stream; returns the packets they complete,
// in order. An assembler error, a dropped unfinished packet, or a read that
// ends other than in EOF fails the calling test.
std::vector<PacketCopy> ReadPackets(Bytes bytes, size_t max_read);

// A ByteSource that replays a script: each step hands out its bytes (at most
// what fits) and its error. After the script it returns EOF.
class ScriptedSource final : public ByteSource {
 public:
  struct Step {
    std::vector<uint8_t> bytes;
    Status err;
  };
  explicit ScriptedSource(std::vector<Step> steps) : steps_(steps.begin(), steps.end()) {}
  ReadResult Read(MutableBytes buffer) override;
  size_t reads() const { return reads_; }

 private:
  std::deque<Step> steps_;
  size_t reads_ = 0;
};

// A ByteSink that fails every write from the `fail_at`-th on (0-based).
class FailingSink final : public ByteSink {
 public:
  explicit FailingSink(size_t fail_at) : fail_at_(fail_at) {}
  Status Write(Bytes data) override;
  const std::vector<uint8_t>& written() const { return written_; }
  size_t writes() const { return writes_; }

 private:
  size_t fail_at_;
  size_t writes_ = 0;
  std::vector<uint8_t> written_;
};

// The bytes of an interop capture, e.g. Capture("unary_split.c2s"), read from
// tests/wire/testdata (the path is compiled in).
std::vector<uint8_t> Capture(std::string_view name);

}  // namespace drpc::wire::testing
