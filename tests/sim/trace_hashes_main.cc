// sim_trace_hashes FILE: the one golden-hash test. Each line of FILE
// (corpus/determinism/trace_hashes.txt) names a run and the steps and trace
// hash it must give:
//
//   rpc.fixed seed 391 pct depth 2 steps 4322 -> steps 370 hash 0x1daabffe1f1bec11
//
// ctest runs it in every build flavour with tests (gcc and clang), so each
// flavour agrees with the file and hence all agree with each other: a run is
// a pure function of its seed on any compiler. Regression entries check
// outcomes and invariants only; trace hashes live here alone.
//
// sim_trace_hashes --write FILE recomputes every line's right-hand side (a
// line may be given as just its left-hand side) and rewrites FILE, keeping
// its comments: run it after an intended change to traces or schedules.
//
// Exit status: 0 all match (or written), 1 a line differs, 2 bad input.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/scenarios/scenario.h"
#include "sim/testing/regression.h"
#include "sim/testing/run_checks.h"
#include "sim/testing/scenario_runs.h"

namespace {

using drpc::sim::RunResult;
using drpc::sim::testing::SeedStrategy;

struct Line {
  std::string text;      // as read (comments and blank lines are kept as is)
  bool is_run = false;   // names a run
  std::string run;       // the left-hand side: "<scenario> seed <S> <strategy>"
  std::string expected;  // the right-hand side: "steps <N> hash <H>" (may be empty)
};

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

std::string Trim(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// Runs the left-hand side; returns "steps <N> hash <H>", or "" (and `error`).
std::string Compute(const std::string& run, std::string& error) {
  const std::vector<std::string> words = Words(run);
  if (words.size() < 4 || words[1] != "seed") {
    error = "expected '<scenario> seed <S> <strategy> -> steps <N> hash <H>'";
    return "";
  }
  const drpc::sim::Scenario* scenario = drpc::sim::Scenarios().Find(words[0]);
  if (scenario == nullptr) {
    error = "no scenario '" + words[0] + "' (drpc-sim list)";
    return "";
  }
  uint64_t seed = 0;
  if (!drpc::sim::cli::ParseCount(words[2], 0, UINT64_MAX, seed)) {
    error = "a seed is a whole number";
    return "";
  }
  SeedStrategy strategy;
  if (!ParseStrategy({words.begin() + 3, words.end()}, strategy, error)) return "";
  drpc::sim::cli::RunSettings settings = drpc::sim::testing::SettingsFor(*scenario);
  settings.strategy = strategy.kind;
  settings.pct = strategy.pct;
  const RunResult r = drpc::sim::cli::RunSeed(*scenario, seed, settings, false).result;
  return "steps " + std::to_string(r.steps) + " hash " + drpc::sim::testing::Hex(r.trace_hash);
}

}  // namespace

int main(int argc, char** argv) {
  const bool write = argc == 3 && std::string(argv[1]) == "--write";
  if (argc != 2 && !write) {
    std::cerr << "usage: " << argv[0] << " [--write] FILE\n";
    return 2;
  }
  const std::string path = argv[argc - 1];
  std::ifstream in(path);
  if (!in) {
    std::cerr << path << ": cannot read\n";
    return 2;
  }
  std::vector<Line> lines;
  for (std::string text; std::getline(in, text);) {
    Line line;
    line.text = text;
    const std::string trimmed = Trim(text);
    if (!trimmed.empty() && trimmed[0] != '#') {
      line.is_run = true;
      const size_t arrow = trimmed.find("->");
      line.run = Trim(trimmed.substr(0, arrow));
      if (arrow != std::string::npos) line.expected = Trim(trimmed.substr(arrow + 2));
    }
    lines.push_back(line);
  }
  in.close();

  int differing = 0, runs = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    Line& line = lines[i];
    if (!line.is_run) continue;
    ++runs;
    const std::string where = path + ":" + std::to_string(i + 1) + ": " + line.run;
    std::string error;
    const std::string got = Compute(line.run, error);
    if (got.empty()) {
      std::cerr << where << ": " << error << "\n";
      return 2;
    }
    if (write) {
      line.text = line.run + " -> " + got;
    } else if (got != line.expected) {
      ++differing;
      std::cerr << where << "\n  recorded: " << line.expected << "\n  this build: " << got << "\n";
    }
  }
  if (write) {
    std::ofstream out(path);
    for (const Line& line : lines) out << line.text << "\n";
    if (!out.good()) {
      std::cerr << path << ": cannot write\n";
      return 2;
    }
    std::cout << "wrote " << runs << " runs' steps and trace hashes to " << path << "\n";
    return 0;
  }
  if (differing > 0) {
    std::cerr << differing << " of " << runs << " runs differ from " << path
              << ". If this build's compiler disagrees with another's, a run depends on "
                 "something other than its seed (sim/sched/README.md, \"Determinism check and "
                 "logs\"). If the "
                 "trace format or a schedule changed on purpose, regenerate the file:\n  "
              << argv[0] << " --write " << path << "\n";
    return 1;
  }
  std::cout << "all " << runs << " runs match " << path << "\n";
  return 0;
}
