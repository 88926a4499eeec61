// A recorded run: the choices a run made, plus what it takes to run it again
// (which scenario, the seed it came from, the options) and what it produced.
//
// Text format, version 1 (compact, diff-able, pasteable into an issue):
//
//   drpc-sim choices v1
//   scenario lock_order.buggy
//   seed 3
//   option max_steps 100000
//   result deadlock steps 57 hash 0x9c1e0c3b5d2a7f10
//   choices 5
//   s2:1 s2:0 t3:2 w4:1 s2:1
//   end
//
// Each choice is <kind letter><n>:<value> (kinds: s schedule, t time, n net,
// f fault, w workload), 16 to a line. `seed`, `option` and `result` lines are
// optional; `#` starts a comment line. The `choices` count and the `end`
// line catch a truncated file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "drpc/base/result.h"
#include "sim/sched/decision.h"

namespace drpc::sim {

struct ChoiceRecord {
  ChoiceKind kind = ChoiceKind::kSchedule;
  uint64_t n = 0;
  uint64_t value = 0;
  friend bool operator==(const ChoiceRecord&, const ChoiceRecord&) = default;
};

using ChoiceLog = std::vector<ChoiceRecord>;

struct RecordedResult {
  std::string outcome;  // OutcomeName() of the run
  uint64_t steps = 0;
  uint64_t trace_hash = 0;
  friend bool operator==(const RecordedResult&, const RecordedResult&) = default;
};

struct ChoiceLogFile {
  static constexpr int kVersion = 1;
  std::string scenario;
  std::optional<uint64_t> seed;
  std::vector<std::pair<std::string, std::string>> options;  // in the order written
  std::optional<RecordedResult> result;
  ChoiceLog choices;
};

// Longest log accepted by the parser (a bound on memory for bad input).
inline constexpr size_t kMaxLoggedChoices = 50'000'000;

std::string FormatChoiceLog(const ChoiceLogFile& file);
Result<ChoiceLogFile> ParseChoiceLog(std::string_view text);

// "s3:1" and back; exposed for reports and tests.
std::string FormatChoice(const ChoiceRecord& choice);
std::optional<ChoiceRecord> ParseChoice(std::string_view token);

}  // namespace drpc::sim
