#include "drpc/base/check.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace drpc {
namespace {

std::atomic<InvariantHandler> g_handler{nullptr};

}  // namespace

void SetInvariantHandler(InvariantHandler handler) { g_handler.store(handler); }

void InvariantViolated(const char* file, int line, const char* condition,
                       const std::string& message) {
  std::string report = "invariant violated: ";
  report += message;
  report += "\n  check: ";
  report += condition;
  report += "\n  at: ";
  report += file;
  report += ":";
  report += std::to_string(line);
  if (InvariantHandler handler = g_handler.load()) {
    handler(report);
  }
  std::fprintf(stderr, "%s\n", report.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace drpc
