// The data of an InvokeMetadata packet (drpc-protocol.md §1.10): the proto3
// message `message Metadata { map<string,string> data = 1; }`, written and
// read by hand so the bytes match Go exactly:
//
//   per entry:  0a varint(len(entry))
//               entry = 0a varint(len(key)) key  12 varint(len(value)) value
//
// EncodeMetadata writes the entries sorted by key (std::map order), so runs
// and tests are byte-exact, and always writes key and value, even empty ones.
// DecodeMetadata is as strict as Go's decoder: every top-level tag must be 0a,
// an entry must be exactly a key (0a) and then a value (12) and nothing else,
// every length must fit in the bytes present; a duplicate key keeps its last
// value. Anything else is a ProtocolError naming what was wrong.
#pragma once

#include <map>
#include <string>

#include "drpc/base/buffer.h"
#include "drpc/base/bytes.h"
#include "drpc/base/result.h"

namespace drpc::wire {

using Metadata = std::map<std::string, std::string>;

// Appends the encoding of `metadata` to `out` (nothing for an empty map).
void EncodeMetadata(Buffer& out, const Metadata& metadata);

Result<Metadata> DecodeMetadata(Bytes data);

}  // namespace drpc::wire
