// The data of an InvokeMetadata packet (drpc-protocol.md §1.10): the proto3
// message `message Metadata { map<string,string> data = 1; }`, written and
// read by hand so the bytes match Go exactly.
//
//   Buffer data;
//   EncodeMetadata(data, {{"who", "me"}});
//   Result<Metadata> m = DecodeMetadata(data.view());
//   Status st = DecodeMetadataInto(data.view(), recycled);  // reuses its nodes
//
// Encoding is sorted by key; decoding is as strict as Go's and reports
// anything else as a ProtocolError. See docs/wire.md, "Metadata".
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

// The same, into `out`, whose entries are replaced: their nodes and the
// storage of their strings hold the new ones, so decoding into a map that
// held as many entries, as long, allocates nothing (a server recycles its
// calls' metadata so). On an error `out` is left with some of the entries.
Status DecodeMetadataInto(Bytes data, Metadata& out);

}  // namespace drpc::wire
