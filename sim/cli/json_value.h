// A small JSON reader for what drpc-sim itself writes (sweep --jsonl lines,
// sim/cli/jsonl.h), so `drpc-sim merge` can read many shards' reports back.
// Objects keep their keys in file order; numbers keep their text (seeds are
// 64-bit and must not pass through a double).
//
//   Result<JsonValue> v = ParseJson(R"({"seed":18446744073709551615})");
//   uint64_t seed = *v->Find("seed")->AsUint64();
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "drpc/base/result.h"

namespace drpc::sim::cli {

struct JsonValue {
  enum class Kind : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number's digits as written
  // An array's elements, or an object's member values (keys[i] names items[i]).
  // Parallel vectors rather than pair<string, JsonValue>: a pair needs a
  // complete JsonValue, which libstdc++ refuses under clang inside the class.
  std::vector<JsonValue> items;
  std::vector<std::string> keys;

  // The member named `key` of an object (null if absent or not an object).
  const JsonValue* Find(std::string_view key) const;
  // The string member `key`, or nullopt.
  std::optional<std::string> String(std::string_view key) const;
  // The non-negative integer member `key`, or nullopt (absent, negative,
  // fractional or over 2^64-1).
  std::optional<uint64_t> Uint64(std::string_view key) const;
};

// Parses one JSON document; kInvalidArgument with the byte offset on
// malformed input. Nesting deeper than 64 levels is refused.
Result<JsonValue> ParseJson(std::string_view text);

}  // namespace drpc::sim::cli
