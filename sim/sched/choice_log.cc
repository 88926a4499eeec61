#include "sim/sched/choice_log.h"

#include <charconv>
#include <cinttypes>
#include <cstdio>

#include "drpc/base/check.h"

namespace drpc::sim {
namespace {

constexpr std::string_view kMagic = "drpc-sim choices v";
constexpr int kChoicesPerLine = 16;
// Keys and values of option lines and scenario names are single words.
constexpr size_t kMaxWordBytes = 256;

bool ParseU64(std::string_view text, uint64_t& out, int base = 10) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

// Splits on single spaces and tabs; empty tokens are dropped.
std::vector<std::string_view> Words(std::string_view line) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

Status LineError(size_t line_no, std::string what) {
  return InvalidArgumentError("choice log line " + std::to_string(line_no) + ": " + what);
}

bool ValidWord(std::string_view w) {
  if (w.empty() || w.size() > kMaxWordBytes) return false;
  for (char c : w) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

std::string FormatChoice(const ChoiceRecord& choice) {
  std::string out(1, ChoiceKindLetter(choice.kind));
  out += std::to_string(choice.n);
  out += ':';
  out += std::to_string(choice.value);
  return out;
}

std::optional<ChoiceRecord> ParseChoice(std::string_view token) {
  if (token.size() < 4) return std::nullopt;
  std::optional<ChoiceKind> kind = ChoiceKindFromLetter(token[0]);
  size_t colon = token.find(':');
  if (!kind || colon == std::string_view::npos) return std::nullopt;
  ChoiceRecord record;
  record.kind = *kind;
  if (!ParseU64(token.substr(1, colon - 1), record.n)) return std::nullopt;
  if (!ParseU64(token.substr(colon + 1), record.value)) return std::nullopt;
  if (record.n < 2 || record.value >= record.n) return std::nullopt;
  return record;
}

std::string FormatChoiceLog(const ChoiceLogFile& file) {
  DRPC_ASSERT(ValidWord(file.scenario), "scenario names are single printable words");
  std::string out;
  out += kMagic;
  out += std::to_string(ChoiceLogFile::kVersion);
  out += "\nscenario " + file.scenario + "\n";
  if (file.seed) out += "seed " + std::to_string(*file.seed) + "\n";
  for (const auto& [key, value] : file.options) {
    DRPC_ASSERT(ValidWord(key) && ValidWord(value), "option keys and values are single words");
    out += "option " + key + " " + value + "\n";
  }
  if (file.result) {
    DRPC_ASSERT(ValidWord(file.result->outcome), "outcome names are single words");
    out += "result " + file.result->outcome + " steps " + std::to_string(file.result->steps) +
           " hash " + Hex(file.result->trace_hash) + "\n";
  }
  out += "choices " + std::to_string(file.choices.size()) + "\n";
  for (size_t i = 0; i < file.choices.size(); ++i) {
    out += FormatChoice(file.choices[i]);
    out +=
        (i % kChoicesPerLine == kChoicesPerLine - 1 || i + 1 == file.choices.size()) ? '\n' : ' ';
  }
  out += "end\n";
  return out;
}

Result<ChoiceLogFile> ParseChoiceLog(std::string_view text) {
  ChoiceLogFile file;
  bool have_magic = false, have_scenario = false, in_choices = false, done = false;
  uint64_t expected = 0;
  size_t line_no = 0;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::vector<std::string_view> w = Words(line);
    if (w.empty() || w[0][0] == '#') continue;
    if (done) return LineError(line_no, "text after `end`");
    if (!have_magic) {
      uint64_t version = 0;
      if (w.size() != 3 || w[0] != "drpc-sim" || w[1] != "choices" || w[2].size() < 2 ||
          w[2][0] != 'v' || !ParseU64(w[2].substr(1), version)) {
        return LineError(line_no, "not a drpc-sim choice log (expected `drpc-sim choices v1`)");
      }
      if (version != ChoiceLogFile::kVersion) {
        return LineError(line_no, "unsupported choice log version " + std::to_string(version) +
                                      " (this build reads v" +
                                      std::to_string(ChoiceLogFile::kVersion) + ")");
      }
      have_magic = true;
      continue;
    }
    if (in_choices) {
      if (w.size() == 1 && w[0] == "end") {
        if (file.choices.size() != expected) {
          return LineError(line_no, "`choices " + std::to_string(expected) + "` but " +
                                        std::to_string(file.choices.size()) + " listed");
        }
        done = true;
        continue;
      }
      for (std::string_view token : w) {
        std::optional<ChoiceRecord> choice = ParseChoice(token);
        if (!choice) return LineError(line_no, "bad choice `" + std::string(token) + "`");
        if (file.choices.size() >= expected) {
          return LineError(line_no, "more choices than the `choices` line announced");
        }
        file.choices.push_back(*choice);
      }
      continue;
    }
    if (w[0] == "scenario" && w.size() == 2 && ValidWord(w[1])) {
      file.scenario = std::string(w[1]);
      have_scenario = true;
    } else if (w[0] == "seed" && w.size() == 2) {
      uint64_t seed = 0;
      if (!ParseU64(w[1], seed)) return LineError(line_no, "bad seed");
      file.seed = seed;
    } else if (w[0] == "option" && w.size() == 3 && ValidWord(w[1]) && ValidWord(w[2])) {
      file.options.emplace_back(std::string(w[1]), std::string(w[2]));
    } else if (w[0] == "result" && w.size() == 6 && w[2] == "steps" && w[4] == "hash" &&
               ValidWord(w[1])) {
      RecordedResult result{std::string(w[1]), 0, 0};
      if (!ParseU64(w[3], result.steps) || w[5].size() < 3 || w[5].substr(0, 2) != "0x" ||
          !ParseU64(w[5].substr(2), result.trace_hash, 16)) {
        return LineError(line_no, "bad `result` line");
      }
      file.result = result;
    } else if (w[0] == "choices" && w.size() == 2) {
      if (!ParseU64(w[1], expected) || expected > kMaxLoggedChoices) {
        return LineError(line_no,
                         "bad choice count (at most " + std::to_string(kMaxLoggedChoices) + ")");
      }
      file.choices.reserve(expected);
      in_choices = true;
    } else {
      return LineError(line_no, "unexpected `" + std::string(line.substr(0, 60)) + "`");
    }
  }
  if (!have_magic) return InvalidArgumentError("choice log is empty");
  if (!have_scenario) return InvalidArgumentError("choice log has no `scenario` line");
  if (!done) return InvalidArgumentError("choice log is truncated (no `end` line)");
  return file;
}

}  // namespace drpc::sim
