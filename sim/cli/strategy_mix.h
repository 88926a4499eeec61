// A sweep that mixes strategies: `drpc-sim sweep --strategy random,pct:3`.
// The strategies find different bugs first (docs/strategy-table.md: the
// random scheduler wins on short programs, PCT on long runs and shutdown
// races), so the default sweep runs both. Seed S runs under entry S mod n of
// the list, whatever --from or the sweep's length, and its replay line
// carries that entry's strategy flags, so a replay is exact.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/cli/runner.h"

namespace drpc::sim::cli {

// scripts/sim's mix, chosen from docs/strategy-table.md (PCT d=5 fastest on 10
// plants, random on 9, and only PCT finds rpc.serve-after-stop-keeps-listener):
// half random, a quarter each PCT d=3 and d=5. `--strategy mix`.
inline constexpr char kDefaultMix[] = "random,pct:3,random,pct:5";

// "random", "pct", "pct:D", comma-separated, or "mix" (kDefaultMix). False
// and `error` for anything else.
bool ParseStrategies(const std::string& text, std::vector<MixEntry>& entries, std::string& error);

// "random,pct:3,...": the mix as given to --strategy, depths filled in.
std::string MixName(const std::vector<MixEntry>& entries, uint32_t default_depth);

// The settings of each entry of settings.mix, in order (settings alone if
// it has no mix): the strategy and its depth; PCT's steps stay as set.
std::vector<RunSettings> ExpandMix(const RunSettings& settings);

}  // namespace drpc::sim::cli
