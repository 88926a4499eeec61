#include "sim/cli/strategy_mix.h"

#include "sim/sched/pct_source.h"

namespace drpc::sim::cli {

bool ParseStrategies(const std::string& text, std::vector<MixEntry>& entries, std::string& error) {
  const std::string list = text == "mix" ? std::string(kDefaultMix) : text;
  entries.clear();
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    MixEntry entry;
    if (item == "random") {
      entry.strategy = Strategy::kRandom;
    } else if (item == "pct") {
      entry.strategy = Strategy::kPct;
    } else if (item.rfind("pct:", 0) == 0) {
      uint64_t depth = 0;
      if (!ParseCount(item.substr(4), 1, kMaxPctDepth, depth)) {
        error = "'" + item + "': a PCT depth is a whole number in [1, " +
                std::to_string(kMaxPctDepth) + "]";
        return false;
      }
      entry.strategy = Strategy::kPct;
      entry.pct_depth = static_cast<uint32_t>(depth);
    } else {
      error =
          "the strategies are random, pct, pct:D (a PCT depth), a comma-separated list of "
          "them, or mix (" +
          std::string(kDefaultMix) + "); got '" + item + "'";
      return false;
    }
    entries.push_back(entry);
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

std::string MixName(const std::vector<MixEntry>& entries, uint32_t default_depth) {
  std::string name;
  for (const MixEntry& e : entries) {
    if (!name.empty()) name += ",";
    if (e.strategy == Strategy::kRandom) {
      name += "random";
    } else {
      name += "pct:" + std::to_string(e.pct_depth != 0 ? e.pct_depth : default_depth);
    }
  }
  return name;
}

std::vector<RunSettings> ExpandMix(const RunSettings& settings) {
  if (settings.mix.empty()) return {settings};
  std::vector<RunSettings> expanded;
  for (const MixEntry& e : settings.mix) {
    RunSettings one = settings;
    one.mix.clear();
    one.strategy = e.strategy;
    if (e.pct_depth != 0) one.pct.depth = e.pct_depth;
    expanded.push_back(std::move(one));
  }
  return expanded;
}

}  // namespace drpc::sim::cli
