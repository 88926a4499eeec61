// `drpc-sim sweep --shard I/N`: one of N disjoint slices of a sweep's seeds,
// for running a sweep as a job array (scripts/slurm-sweep, a Kubernetes
// Indexed Job: docs/sharded-sweeps.md). Shard I runs the seeds whose offset
// from --from is I modulo N, so every shard gets early and late seeds alike
// and `drpc-sim merge` of all N shards reports what one sweep would.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace drpc::sim::cli {

struct Shard {
  uint64_t index = 0;
  uint64_t count = 1;  // 1: the whole sweep
  bool Owns(uint64_t offset) const { return offset % count == index; }
  // Seeds of a sweep of `seeds` this shard runs.
  uint64_t SeedsOf(uint64_t seeds) const { return seeds / count + (index < seeds % count ? 1 : 0); }
};

inline constexpr uint64_t kMaxShards = 1'000'000;

// "I/N" with 0 <= I < N <= kMaxShards; nullopt and `problem` otherwise.
std::optional<Shard> ParseShard(std::string_view text, std::string& problem);

}  // namespace drpc::sim::cli
