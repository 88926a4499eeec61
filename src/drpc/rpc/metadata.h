// Invoke metadata (drpc-protocol.md §5.6, §1.10): a string -> string map
// that travels once per call, before the Invoke.
//
//   * Outgoing (client): CallOptions::metadata. Sent in an InvokeMetadata
//     packet only if not empty, atomically with the Invoke. Encoded sorted
//     by key (the map's order) so the bytes are deterministic; empty keys
//     and values are sent as they are.
//   * Incoming (server): ServerCall::metadata(), exactly the map the client
//     sent (a peer's duplicate key keeps its last value). The decoder is as
//     strict as Go's; a malformed packet kills the connection.
// There are no multi-valued keys (a gRPC-compatible peer sends only the
// first value of each).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "drpc/wire/metadata.h"

namespace drpc::rpc {

using Metadata = wire::Metadata;  // std::map<std::string, std::string>

// The value of `key`, if present.
inline std::optional<std::string_view> Lookup(const Metadata& metadata, const std::string& key) {
  auto it = metadata.find(key);
  if (it == metadata.end()) return std::nullopt;
  return std::string_view(it->second);
}

}  // namespace drpc::rpc
