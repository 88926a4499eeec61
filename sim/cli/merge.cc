#include "sim/cli/merge.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>

#include "sim/cli/json_value.h"

namespace drpc::sim::cli {
namespace {

struct ShardSummary {
  uint64_t index = 0;
  uint64_t count = 1;
  uint64_t from = 0;
  uint64_t seeds = 0;
  uint64_t failed = 0;
  std::string strategy;
  std::vector<MergedSweep::ScenarioTotals> scenarios;
};

struct ParsedFile {
  ShardSummary summary;
  std::vector<MergedSweep::Failure> failures;
};

Status FileError(const SweepReportFile& file, size_t line, const std::string& problem) {
  return InvalidArgumentError(file.name + (line > 0 ? ":" + std::to_string(line) : "") + ": " +
                              problem);
}

Result<ShardSummary> ReadSummary(const JsonValue& record) {
  ShardSummary s;
  std::optional<uint64_t> from = record.Uint64("from"), seeds = record.Uint64("seeds"),
                          failed = record.Uint64("failed");
  std::optional<std::string> strategy = record.String("strategy");
  const JsonValue* scenarios = record.Find("scenarios");
  if (!from || !seeds || !failed || !strategy || scenarios == nullptr ||
      scenarios->kind != JsonValue::Kind::kArray) {
    return InvalidArgumentError("a summary needs from, seeds, failed, strategy and scenarios");
  }
  s.from = *from;
  s.seeds = *seeds;
  s.failed = *failed;
  s.strategy = *strategy;
  if (const JsonValue* shard = record.Find("shard"); shard != nullptr) {
    std::optional<uint64_t> index = shard->Uint64("index"), count = shard->Uint64("count");
    if (!index || !count || *count == 0 || *index >= *count) {
      return InvalidArgumentError("a summary's shard needs index < count");
    }
    s.index = *index;
    s.count = *count;
  }
  for (const JsonValue& item : scenarios->items) {
    std::optional<std::string> name = item.String("scenario");
    std::optional<uint64_t> runs = item.Uint64("runs"), failures = item.Uint64("failed");
    if (!name || !runs || !failures) {
      return InvalidArgumentError("a summary's scenario needs scenario, runs and failed");
    }
    s.scenarios.push_back({*name, *runs, *failures});
  }
  return s;
}

Result<ParsedFile> ReadFile(const SweepReportFile& file) {
  ParsedFile parsed;
  bool summary_seen = false;
  size_t line_number = 0;
  std::string_view rest = file.text;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Result<JsonValue> record = ParseJson(line);
    if (!record.ok()) return FileError(file, line_number, record.status().message());
    std::optional<std::string> kind = record->String("record");
    if (summary_seen) return FileError(file, line_number, "a record after the summary");
    if (kind == "failure") {
      MergedSweep::Failure f;
      std::optional<std::string> scenario = record->String("scenario"),
                                 outcome = record->String("outcome"),
                                 replay = record->String("replay");
      std::optional<uint64_t> seed = record->Uint64("seed");
      if (!scenario || !outcome || !replay || !seed) {
        return FileError(file, line_number, "a failure needs scenario, seed, outcome and replay");
      }
      f.scenario = *scenario;
      f.seed = *seed;
      f.outcome = *outcome;
      f.invariant = record->String("invariant").value_or("");
      f.replay = *replay;
      parsed.failures.push_back(std::move(f));
    } else if (kind == "summary") {
      Result<ShardSummary> summary = ReadSummary(*record);
      if (!summary.ok()) return FileError(file, line_number, summary.status().message());
      parsed.summary = std::move(*summary);
      summary_seen = true;
    } else {
      return FileError(file, line_number, "not a failure or summary record");
    }
  }
  if (!summary_seen) {
    return FileError(file, 0, "no summary line: its sweep did not finish (or the file is cut)");
  }
  if (parsed.failures.size() != parsed.summary.failed) {
    return FileError(file, 0,
                     "its summary counts " + std::to_string(parsed.summary.failed) +
                         " failure(s) but it holds " + std::to_string(parsed.failures.size()));
  }
  return parsed;
}

}  // namespace

uint64_t MergedSweep::runs() const {
  uint64_t n = 0;
  for (const ScenarioTotals& s : scenarios) n += s.runs;
  return n;
}

Result<MergedSweep> MergeSweepReports(const std::vector<SweepReportFile>& files) {
  if (files.empty()) return InvalidArgumentError("merge needs at least one report file");
  std::vector<ParsedFile> parsed;
  for (const SweepReportFile& file : files) {
    Result<ParsedFile> p = ReadFile(file);
    if (!p.ok()) return p.status();
    parsed.push_back(std::move(*p));
  }
  const ShardSummary& first = parsed.front().summary;
  // Shard index -> file, to find gaps and repeats.
  std::map<uint64_t, size_t> by_index;
  for (size_t i = 0; i < parsed.size(); ++i) {
    const ShardSummary& s = parsed[i].summary;
    if (s.count != first.count || s.from != first.from || s.seeds != first.seeds ||
        s.strategy != first.strategy) {
      return InvalidArgumentError(files[i].name + " is not a shard of the same sweep as " +
                                  files[0].name + " (shard count, --from, --seeds or strategy)");
    }
    if (auto [it, fresh] = by_index.emplace(s.index, i); !fresh) {
      return InvalidArgumentError("shard " + std::to_string(s.index) + "/" +
                                  std::to_string(s.count) + " is given twice (" +
                                  files[it->second].name + " and " + files[i].name + ")");
    }
  }
  if (by_index.size() != first.count) {
    std::string missing;
    for (uint64_t i = 0; i < first.count && missing.size() < 200; ++i) {
      if (by_index.count(i) == 0) missing += (missing.empty() ? "" : ", ") + std::to_string(i);
    }
    return InvalidArgumentError("shard(s) " + missing + " of " + std::to_string(first.count) +
                                " missing: the merge would report less than the sweep ran");
  }
  MergedSweep merged;
  merged.shards = first.count;
  merged.from = first.from;
  merged.seeds = first.seeds;
  merged.strategy = first.strategy;
  std::map<std::string, size_t> scenario_at;
  for (const auto& [index, file] : by_index) {
    for (const MergedSweep::ScenarioTotals& s : parsed[file].summary.scenarios) {
      auto [it, fresh] = scenario_at.emplace(s.scenario, merged.scenarios.size());
      if (fresh) merged.scenarios.push_back({s.scenario, 0, 0});
      merged.scenarios[it->second].runs += s.runs;
      merged.scenarios[it->second].failed += s.failed;
    }
    for (MergedSweep::Failure& f : parsed[file].failures) merged.failures.push_back(std::move(f));
  }
  std::sort(merged.failures.begin(), merged.failures.end(), [](const auto& a, const auto& b) {
    return std::tie(a.scenario, a.seed, a.replay) < std::tie(b.scenario, b.seed, b.replay);
  });
  return merged;
}

std::string FormatMergedSweep(const MergedSweep& merged) {
  std::string out = "merged " + std::to_string(merged.shards) + " shard(s) of one sweep\n";
  out += "sweep: seeds " + std::to_string(merged.from) + ".." +
         std::to_string(merged.from + merged.seeds - 1) + ", strategy " + merged.strategy + "\n";
  uint64_t failed = 0;
  for (const MergedSweep::ScenarioTotals& s : merged.scenarios) {
    failed += s.failed;
    out += s.scenario + ": " + std::to_string(s.runs) + " runs, " +
           (s.failed == 0 ? std::string("all passed") : std::to_string(s.failed) + " FAILED") +
           "\n";
    for (const MergedSweep::Failure& f : merged.failures) {
      if (f.scenario != s.scenario) continue;
      out += "  seed " + std::to_string(f.seed) + " (" + f.outcome + "): " + f.invariant + "\n";
      out += "    " + f.replay + "\n";
    }
  }
  out += "total: " + std::to_string(merged.scenarios.size()) + " scenario(s), " +
         std::to_string(merged.runs()) + " runs, " + std::to_string(failed) + " failed\n";
  return out;
}

}  // namespace drpc::sim::cli
