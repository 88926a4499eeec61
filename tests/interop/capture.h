// The Go peers' byte captures (tests/wire/testdata, copied from the interop
// README's folder) as frames, and readable frame-by-frame comparisons.
//
//   Capture s2c = Capture::Load("unary_metadata.s2c");   // what the Go server wrote
//   EXPECT_TRUE(SameFrames(s2c.frames, ParseFrames(written)));
//   EXPECT_TRUE(SameBytes(s2c.bytes(), written));
//
// A capture file holds one frame per line; Load checks that each line is
// exactly one whole frame, so a capture can be cut into the Go peer's
// writes by frame index.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/bytes.h"
#include "drpc/wire/frame.h"
#include "drpc/wire/kind.h"

namespace drpc::interop {

// One frame that owns its bytes: the parsed fields and its exact encoding.
struct WireFrame {
  uint8_t kind = 0;
  uint64_t stream_id = 0;
  uint64_t message_id = 0;
  bool done = false;
  bool control = false;
  std::string data;
  std::vector<uint8_t> encoded;  // the frame's bytes as they were on the wire

  static WireFrame Of(const wire::Frame& frame, Bytes encoded);
  // This frame with other data, encoded again (minimal varints, as Go).
  WireFrame WithData(std::string new_data) const;
  bool is(wire::Kind k) const { return kind == wire::ToRaw(k); }
};

// "Message s1 m1 done \"hello\"", "Error s1 m1 done code 7 \"...\"",
// "InvokeMetadata s1 m1 done {authorization: \"Bearer t0k3n\"}".
std::string Describe(const WireFrame& frame);
void PrintTo(const WireFrame& frame, std::ostream* os);

// Parses every frame of `bytes`. Bytes left that are not a whole frame are
// returned as `rest` (a comparison with a capture then fails and shows them).
struct ParsedFrames {
  std::vector<WireFrame> frames;
  std::vector<uint8_t> rest;
};
ParsedFrames ParseFrames(Bytes bytes);

struct Capture {
  std::string name;  // "unary_metadata.s2c"
  std::vector<WireFrame> frames;

  // Reads <capture dir>/<name>.hex; a missing or malformed file fails the
  // calling test (and gives an empty capture).
  static Capture Load(std::string_view name);
  // Frames [first, last) joined: what the peer wrote with them.
  std::vector<uint8_t> Slice(size_t first, size_t last) const;
  std::vector<uint8_t> bytes() const { return Slice(0, frames.size()); }
  // The capture without its last `n` frames (a documented variation).
  std::vector<WireFrame> WithoutLast(size_t n) const;
};

std::vector<uint8_t> Join(const std::vector<WireFrame>& frames);

// How strictly two frame lists must agree.
enum class MetadataOrder {
  kExact,  // InvokeMetadata data byte for byte
  kAny,    // the same entries in any order (Go writes map order, §1.10)
};

// Frame by frame; on failure a side-by-side table of both lists, marking
// the first frame that differs, and what is missing or extra.
::testing::AssertionResult SameFrames(const std::vector<WireFrame>& expected,
                                      const ParsedFrames& actual,
                                      MetadataOrder order = MetadataOrder::kExact);
// Byte for byte; on failure both sides in hex, one frame per line.
::testing::AssertionResult SameBytes(const std::vector<uint8_t>& expected,
                                     const std::vector<uint8_t>& actual);

// The entries of an InvokeMetadata payload in wire order, each as its
// encoded bytes (tag, length, key, value): for order-insensitive checks
// and for building the other order of a capture.
std::vector<std::string> MetadataEntries(std::string_view data);

// Hex, one frame per line (the capture files' format).
std::string HexLines(Bytes bytes);

}  // namespace drpc::interop
