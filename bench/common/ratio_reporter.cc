#include "bench/common/ratio_reporter.h"

#include <cstdio>

namespace drpc::bench {

void RatioReporter::ReportRuns(const std::vector<Run>& runs) {
  ConsoleReporter::ReportRuns(runs);
  for (const Run& run : runs) {
    if (run.error_occurred) continue;
    std::string name = run.run_name.function_name;
    if (!run.run_name.args.empty()) name += "/" + run.run_name.args;
    const double time =
        run.run_name.time_type.empty() ? run.GetAdjustedCPUTime() : run.GetAdjustedRealTime();
    if (run.run_type == Run::RT_Iteration) {
      if (!medians_.count(name)) singles_[name] = time;
    } else if (run.aggregate_name == "median") {
      medians_[name] = time;
    }
  }
}

void RatioReporter::PrintRatio(const std::string& a, const std::string& b) const {
  const double time_a = Time(a), time_b = Time(b);
  if (time_a <= 0 || time_b <= 0) return;
  std::printf("ratio %-28s / %-28s = %6.2f\n", a.c_str(), b.c_str(), time_a / time_b);
}

double RatioReporter::Time(const std::string& name) const {
  if (auto it = medians_.find(name); it != medians_.end()) return it->second;
  if (auto it = singles_.find(name); it != singles_.end()) return it->second;
  return 0;
}

}  // namespace drpc::bench
