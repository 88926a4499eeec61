// Bytes as hex text and back, for expected wire bytes written the way
// drpc-protocol.md writes them ("03 01 01 0b · 2f 73 76 63") and for
// readable failure messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/bytes.h"

namespace drpc::testing {

// Parses hex digits, ignoring spaces, newlines and the "·" separator of the
// protocol document. Anything else, or an odd digit, fails the calling test.
// "ff×9" is not understood: spell bytes out.
std::vector<uint8_t> Hex(std::string_view text);

// "03 01 0b": two lowercase digits a byte, separated by spaces.
std::string ToHex(Bytes bytes);

}  // namespace drpc::testing
