// rt::ParseAddress (net.h): written on nothing backend-specific, so both
// backends share it.
#include <charconv>
#include <string>

#include "drpc/rt/net.h"

namespace drpc::rt {

Result<HostPort> ParseAddress(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) {
    return InvalidArgumentError("address \"" + std::string(address) + "\" has no :port");
  }
  std::string_view host = address.substr(0, colon);
  const std::string_view port_text = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return InvalidArgumentError("address \"" + std::string(address) +
                                "\": the port is not a number in 0..65535");
  }
  if (host.empty()) {
    return InvalidArgumentError("address \"" + std::string(address) + "\" has no host");
  }
  return HostPort{std::string(host), static_cast<uint16_t>(port)};
}

}  // namespace drpc::rt
