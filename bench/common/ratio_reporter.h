// A Google Benchmark console reporter that also remembers each benchmark's
// time per iteration, so a program can print ratios against baselines
// measured in the same run:
//
//   drpc::bench::RatioReporter reporter;
//   benchmark::RunSpecifiedBenchmarks(&reporter);
//   reporter.PrintRatio("BM_RtMutexLockUnlock", "BM_StdMutexLockUnlock");
//
// A benchmark is named by its function name and arguments ("Burst32_Pool/64").
// Its time is CPU time, which a busy machine's preemptions do not inflate,
// unless it uses real time (UseRealTime, UseManualTime); with repetitions,
// the median.
#pragma once

#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

namespace drpc::bench {

class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override;

  // Prints "ratio <a> / <b> = <time a / time b>"; nothing if either is missing.
  void PrintRatio(const std::string& a, const std::string& b) const;

 private:
  double Time(const std::string& name) const;  // 0 if not measured

  std::map<std::string, double> singles_;
  std::map<std::string, double> medians_;
};

}  // namespace drpc::bench
