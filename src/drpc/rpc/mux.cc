#include "drpc/rpc/mux.h"

#include <cstdio>
#include <string>

namespace drpc::rpc {

void Mux::Register(std::string rpc, RawHandler handler) {
  DRPC_ASSERT(!rpc.empty(), "Mux::Register with an empty rpc name");
  DRPC_ASSERT(handler != nullptr, "Mux::Register(" + rpc + ") with no handler");
  handlers_.insert_or_assign(std::move(rpc), std::move(handler));
}

Status Mux::HandleRPC(ServerCall& call) const {
  auto it = handlers_.find(call.rpc());
  if (it == handlers_.end()) return UnknownRpcError(call.rpc());
  return it->second(call);
}

std::vector<std::string> Mux::Names() const {
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, handler] : handlers_) names.push_back(name);
  return names;
}

Status UnknownRpcError(std::string_view rpc) {
  std::string quoted = "\"";
  for (const char c : rpc) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\a':
        quoted += "\\a";
        break;
      case '\b':
        quoted += "\\b";
        break;
      case '\f':
        quoted += "\\f";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\r':
        quoted += "\\r";
        break;
      case '\t':
        quoted += "\\t";
        break;
      case '\v':
        quoted += "\\v";
        break;
      default: {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f) {
          quoted += c;
        } else {
          char hex[5];
          std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
          quoted += hex;
        }
      }
    }
  }
  quoted += '"';
  return ProtocolError("protocol error: unknown rpc: " + quoted);
}

}  // namespace drpc::rpc
