// Byte views: library APIs take `Bytes` (read-only) and `MutableBytes`.
//
//   Bytes b = AsBytes("hello");
//   std::string s = ToString(b);
//
// See docs/base.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace drpc {

using Bytes = std::span<const uint8_t>;
using MutableBytes = std::span<uint8_t>;

inline Bytes AsBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
inline std::string_view AsStringView(Bytes b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}
inline std::string ToString(Bytes b) { return std::string(AsStringView(b)); }

}  // namespace drpc
