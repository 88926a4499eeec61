#include "sim/sched/determinism.h"

#include <cinttypes>
#include <cstdio>
#include <string_view>

namespace drpc::sim {
namespace {

// Line `index` of a full trace (line 0 is the header).
std::string EventLine(const std::string& trace, uint64_t index) {
  size_t start = 0;
  for (uint64_t line = 0; line <= index; ++line) {
    size_t eol = trace.find('\n', start);
    if (eol == std::string::npos) return "(trace ends)";
    start = eol + 1;
  }
  size_t eol = trace.find('\n', start);
  return trace.substr(start, eol == std::string::npos ? std::string::npos : eol - start);
}

uint64_t StepOf(const std::string& line) {
  uint64_t step = 0;
  std::sscanf(line.c_str(), "%" SCNu64, &step);
  return step;
}

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, v);
  return buf;
}

}  // namespace

DeterminismReport CheckDeterminism(FunctionRef<std::unique_ptr<DecisionSource>()> make_source,
                                   RunOptions options, FunctionRef<void()> main) {
  options.keep_full_trace = true;
  DeterminismReport report;
  {
    std::unique_ptr<DecisionSource> source = make_source();
    report.first = Run(*source, options, main);
  }
  {
    std::unique_ptr<DecisionSource> source = make_source();
    report.second = Run(*source, options, main);
  }
  const std::vector<uint64_t>& a = report.first.event_hashes;
  const std::vector<uint64_t>& b = report.second.event_hashes;
  report.deterministic = report.first.trace_hash == report.second.trace_hash && a == b;
  if (report.deterministic) {
    report.summary = "deterministic: both runs have trace hash " + Hex(report.first.trace_hash) +
                     " over " + std::to_string(a.size()) + " events";
    return report;
  }
  uint64_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  report.event_index = i;
  report.first_event = i < a.size() ? EventLine(report.first.full_trace, i) : "(run ended)";
  report.second_event = i < b.size() ? EventLine(report.second.full_trace, i) : "(run ended)";
  report.step = StepOf(i < a.size() ? report.first_event : report.second_event);
  report.summary = "NONDETERMINISM: the same decisions gave different runs (trace hashes " +
                   Hex(report.first.trace_hash) + " and " + Hex(report.second.trace_hash) +
                   ").\nFirst difference at event " + std::to_string(i + 1) + ", step " +
                   std::to_string(report.step) + ":\n  first run:  " + report.first_event +
                   "\n  second run: " + report.second_event;
  return report;
}

}  // namespace drpc::sim
