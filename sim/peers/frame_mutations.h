// The bytes a hostile peer writes: valid DRPC frames encoded with
// drpc/wire, and their mutations (drpc-protocol.md §1.2-§1.10). Pure
// functions of their arguments (the peer draws the arguments from the
// tape), so tests can check each one byte by byte.
//
//   Buffer out;
//   AppendUnaryCall(out, {.stream_id = 1, .rpc = "/sim.Test/Echo", .request = "hi"});
//   AppendHugeLength(out, 3, ~uint64_t{0}, 16);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/wire/kind.h"
#include "drpc/wire/metadata.h"

namespace drpc::sim::peers {

// One frame, done and without the control bit unless asked.
void AppendFrame(Buffer& out, uint64_t stream_id, uint64_t message_id, uint8_t kind, Bytes data,
                 bool done = true, bool control = false);

struct UnaryCall {
  uint64_t stream_id = 1;
  std::string_view rpc;
  std::string_view request;
  const wire::Metadata* metadata = nullptr;  // sent first when not empty
};
// A whole unary call as a client sends it (§1.10): [InvokeMetadata] Invoke,
// Message, CloseSend, message ids from 1. Returns the message id of its
// last packet.
uint64_t AppendUnaryCall(Buffer& out, const UnaryCall& call);

// The first `keep` bytes of the call's encoding (keep below its size).
void AppendTruncated(Buffer& out, const UnaryCall& call, size_t keep);

// A header byte (an Invoke's) and ten varint bytes with the continuation
// bit: "varint too long" (§1.2), a malformed frame.
void AppendOverlongVarint(Buffer& out);

// A Message frame for `stream_id` declaring `declared` data bytes, followed
// by only `sent` bytes of data.
void AppendHugeLength(Buffer& out, uint64_t stream_id, uint64_t declared, size_t sent);

// Frames that start a packet and never finish it (done = 0).
void AppendUnfinished(Buffer& out, uint64_t stream_id, uint64_t message_id, wire::Kind kind,
                      Bytes data);

// An Invoke frame (done = 0) continued by a Message frame with the same ids:
// "frame kind changed mid-packet" (§1.7 rule 4).
void AppendKindChange(Buffer& out, uint64_t stream_id, std::string_view rpc);

// Metadata whose encoding is exactly `bytes` long (bytes >= 6).
wire::Metadata MetadataOfEncodedSize(size_t bytes);

}  // namespace drpc::sim::peers
