#include "sim/cli/shard.h"

#include <charconv>

namespace drpc::sim::cli {
namespace {

bool ParseCount(std::string_view text, uint64_t& out) {
  if (text.empty() || text.size() > 7) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<Shard> ParseShard(std::string_view text, std::string& problem) {
  const size_t slash = text.find('/');
  Shard shard;
  if (slash == std::string_view::npos || !ParseCount(text.substr(0, slash), shard.index) ||
      !ParseCount(text.substr(slash + 1), shard.count) || shard.count == 0 ||
      shard.count > kMaxShards || shard.index >= shard.count) {
    problem = "--shard takes I/N with 0 <= I < N <= " + std::to_string(kMaxShards) + ", not '" +
              std::string(text) + "'";
    return std::nullopt;
  }
  return shard;
}

}  // namespace drpc::sim::cli
