#include "sim/cli/jsonl.h"

#include <cstdio>

#include "sim/cli/strategy_mix.h"

namespace drpc::sim::cli {
namespace {

// The length of the UTF-8 sequence starting at `s` (2..4), or 0 if the
// bytes there are not a well-formed one (overlongs and surrogates too).
size_t Utf8Length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto continuation = [&](size_t i) { return i < s.size() && (byte(i) & 0xC0) == 0x80; };
  const unsigned char lead = byte(0);
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continuation(1) || !continuation(2)) return 0;
    if (lead == 0xE0 && byte(1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(1) >= 0xA0) return 0;  // a surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continuation(1) || !continuation(2) || !continuation(3)) return 0;
    if (lead == 0xF0 && byte(1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(text.substr(i));
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

bool JsonlWriter::Open(const std::string& path, std::string& error) {
  path_ = path;
  file_.open(path, std::ios::binary | std::ios::trunc);
  if (!file_) {
    error = "--jsonl: cannot write '" + path + "'";
    return false;
  }
  return true;
}

void JsonlWriter::AppendStrategy(std::string& line, const RunSettings& settings,
                                 bool with_steps) const {
  if (!settings.mix.empty()) {  // a sweep's summary: every seed's line names its own
    line += ",\"strategy\":" + JsonString(MixName(settings.mix, settings.pct.depth));
    return;
  }
  line += ",\"strategy\":" + JsonString(StrategyName(settings.strategy));
  if (settings.strategy == Strategy::kPct) {
    line += ",\"pct_depth\":" + std::to_string(settings.pct.depth);
    if (with_steps) line += ",\"pct_steps\":" + std::to_string(settings.pct.steps);
  }
}

void JsonlWriter::Failure(const Scenario& scenario, const SeedRun& run, const RunSettings& settings,
                          const std::string& saved_log) {
  std::string line = "{\"record\":\"failure\",\"scenario\":" + JsonString(scenario.name) +
                     ",\"seed\":" + std::to_string(run.seed);
  AppendStrategy(line, settings, true);
  line += ",\"options\":{";
  bool first = true;
  for (const auto& [key, value] : OptionPairs(settings.options)) {
    line += (first ? "" : ",") + JsonString(key) + ":" + JsonString(value);
    first = false;
  }
  if (settings.options.plants.empty())
    line += std::string(first ? "" : ",") + "\"plants\":\"none\"";
  line += "}";
  // A run that passed but was not deterministic is a failure too.
  const bool nondeterministic = run.result.ok();
  line += ",\"outcome\":" +
          JsonString(nondeterministic ? "nondeterminism" : OutcomeName(run.result.outcome));
  line += ",\"invariant\":" + JsonString(nondeterministic && run.determinism
                                             ? FirstLine(run.determinism->summary)
                                             : FirstLine(run.result.report));
  line += ",\"replay\":" + JsonString(ReplayLine(scenario, run.seed, settings));
  if (!saved_log.empty()) line += ",\"choice_log\":" + JsonString(saved_log);
  line += ",\"trace_hash\":" + JsonString(Hex(run.result.trace_hash)) +
          ",\"steps\":" + std::to_string(run.result.steps) + "}\n";
  file_ << line << std::flush;
}

void JsonlWriter::Summary(uint64_t from, uint64_t seeds, const Shard& shard,
                          const RunSettings& settings, const std::vector<ScenarioTotals>& scenarios,
                          const std::map<std::string, uint64_t>& by_outcome) {
  uint64_t runs = 0, failed = 0;
  for (const ScenarioTotals& s : scenarios) {
    runs += s.runs;
    failed += s.failed;
  }
  std::string line = "{\"record\":\"summary\",\"seeds\":" + std::to_string(seeds) +
                     ",\"from\":" + std::to_string(from);
  if (shard.count > 1) {
    line += ",\"shard\":{\"index\":" + std::to_string(shard.index) +
            ",\"count\":" + std::to_string(shard.count) + "}";
  }
  // PCT's steps are learned per scenario: they are in the failure records.
  AppendStrategy(line, settings, false);
  line += ",\"runs\":" + std::to_string(runs) + ",\"failed\":" + std::to_string(failed) +
          ",\"by_outcome\":{";
  bool first = true;
  for (const auto& [outcome, count] : by_outcome) {
    line += (first ? "" : ",") + JsonString(outcome) + ":" + std::to_string(count);
    first = false;
  }
  line += "},\"scenarios\":[";
  first = true;
  for (const ScenarioTotals& s : scenarios) {
    line += std::string(first ? "" : ",") + "{\"scenario\":" + JsonString(s.scenario) +
            ",\"runs\":" + std::to_string(s.runs) + ",\"failed\":" + std::to_string(s.failed) + "}";
    first = false;
  }
  line += "]}\n";
  file_ << line << std::flush;
}

bool JsonlWriter::Close(std::string& error) {
  if (!file_.is_open()) return true;
  file_.close();
  if (!file_) {
    error = "--jsonl: writing '" + path_ + "' failed";
    return false;
  }
  return true;
}

}  // namespace drpc::sim::cli
