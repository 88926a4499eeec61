// Helpers shared by the simulator tests (with those of every simulator test
// in sim/testing/run_checks.h).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sim/sched/decision.h"
#include "sim/sched/run.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::testing {

// Answers each request with a function of it; lets a test steer one decision
// and leave the rest at the cooperative default.
class ScriptedSource final : public DecisionSource {
 public:
  explicit ScriptedSource(std::function<uint64_t(const ChoiceRequest&)> answer)
      : answer_(std::move(answer)) {}
  uint64_t Choose(const ChoiceRequest& request) override {
    requests.push_back(request.kind);
    return answer_(request);
  }
  std::vector<ChoiceKind> requests;

 private:
  std::function<uint64_t(const ChoiceRequest&)> answer_;
};

// A fresh, empty folder under gtest's temporary folder.
inline std::string TempDir(const std::string& name) {
  std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / ("drpc_sim_" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

// A whole file's bytes ("" if it cannot be read).
inline std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The rest of the line after `prefix` in `text` (without the prefix), or "".
inline std::string LineAfter(const std::string& text, const std::string& prefix) {
  const size_t at = text.find(prefix);
  if (at == std::string::npos) return "";
  const size_t from = at + prefix.size();
  return text.substr(from, text.find('\n', from) - from);
}

}  // namespace drpc::sim::testing
