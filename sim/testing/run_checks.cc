#include "sim/testing/run_checks.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "sim/sched/choice_log.h"

namespace drpc::sim::testing {

std::string Describe(const RunResult& result) {
  return std::string(OutcomeName(result.outcome)) + "\n" + result.report + "\n" + result.trace_tail;
}

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%016" PRIx64, value);
  return text;
}

::testing::AssertionResult SameRun(const RunResult& again, const RunResult& first) {
  ::testing::AssertionResult same = ::testing::AssertionSuccess();
  auto differs = [&](const char* what, const std::string& a, const std::string& b) {
    if (a == b) return;
    if (same) same = ::testing::AssertionFailure() << "the rerun differs:";
    same << "\n  " << what << ": " << a << " (first run: " << b << ")";
  };
  differs("outcome", std::string(OutcomeName(again.outcome)),
          std::string(OutcomeName(first.outcome)));
  differs("trace hash", Hex(again.trace_hash), Hex(first.trace_hash));
  differs("steps", std::to_string(again.steps), std::to_string(first.steps));
  differs("report", again.report, first.report);
  return same;
}

std::string SaveChoiceLog(const std::string& scenario, const RunResult& result,
                          const std::string& suffix) {
  ChoiceLogFile file;
  file.scenario = scenario;
  file.result =
      RecordedResult{std::string(OutcomeName(result.outcome)), result.steps, result.trace_hash};
  file.choices = result.choice_log;
  const std::string path = scenario + suffix;
  std::ofstream out(path);
  out << FormatChoiceLog(file);
  EXPECT_TRUE(out.good()) << "cannot write the choice log " << path;
  return path;
}

uint64_t SeedCount(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  return text == nullptr ? fallback : std::strtoull(text, nullptr, 10);
}

}  // namespace drpc::sim::testing
