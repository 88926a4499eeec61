// A wire frame that owns its data (wire::Frame only views bytes), for
// expected frames, recorded frames and readable comparisons.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/wire/frame.h"

namespace drpc::testing {

struct FrameCopy {
  uint64_t stream_id = 0;
  uint64_t message_id = 0;
  uint8_t kind = 0;
  bool done = false;
  bool control = false;
  std::string data;

  static FrameCopy Of(const wire::Frame& frame);
  // A view of this copy (valid while the copy lives and is not changed).
  wire::Frame view() const;
  friend bool operator==(const FrameCopy&, const FrameCopy&) = default;
};

// {kind 2 s1 m3 done data "abc"}
void PrintTo(const FrameCopy& frame, std::ostream* os);

// Parses every frame of `bytes` with wire::ParseFrame; fails the calling
// test (and returns the frames before) if the bytes do not end exactly at a
// frame boundary.
std::vector<FrameCopy> ParseAll(Bytes bytes);

}  // namespace drpc::testing
