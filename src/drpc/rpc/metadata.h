// rpc::Metadata: the string -> string map a client sends once per call,
// before the Invoke (drpc-protocol.md §5.6, §1.10).
//
//   conn.Invoke(rpc, in, out, {.metadata = {{"who", "me"}}});      // client
//   std::optional<std::string_view> who = rpc::Lookup(call.metadata(), "who");  // handler
//
// Nothing is sent for an empty map; keys are unique (no multi-valued keys).
// Encoding and strictness: docs/rpc.md, "Metadata".
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
