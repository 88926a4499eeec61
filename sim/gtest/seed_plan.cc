#include "sim/gtest/seed_plan.h"

#include <unistd.h>

#include <array>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "sim/sched/choice_log.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/replay_source.h"

namespace drpc::sim {
namespace {

constexpr uint64_t kMaxSeedCount = 1'000'000'000;

// The settings by name ("DRPC_SIM_SEEDS"), in the order they are applied.
constexpr std::array<const char*, 5> kSettings = {
    "DRPC_SIM_SEEDS", "DRPC_SIM_SEED", "DRPC_SIM_STRATEGY", "DRPC_SIM_REPLAY", "DRPC_SIM_LOG_DIR"};

// What ConsumeSeedFlags took, by setting name: applied after the
// environment. Written before any test runs, read by tests.
std::map<std::string, std::string>& FlagValues() {
  static auto* values = new std::map<std::string, std::string>();
  return *values;
}

std::optional<uint64_t> ParseUint(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

Status Apply(SeedPlan& plan, const std::string& name, const std::string& value) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError(name + "=\"" + value + "\": " + why);
  };
  if (name == "DRPC_SIM_SEEDS") {
    const std::optional<uint64_t> count = ParseUint(value);
    if (!count || *count == 0 || *count > kMaxSeedCount) {
      return bad("want a seed count from 1 to 1000000000");
    }
    plan.count = *count;
  } else if (name == "DRPC_SIM_SEED") {
    const std::optional<uint64_t> seed = ParseUint(value);
    if (!seed) return bad("want a seed (a decimal number)");
    plan.first_seed = *seed;
    plan.count = 1;
  } else if (name == "DRPC_SIM_STRATEGY") {
    const std::optional<Strategy> strategy = StrategyFromName(value);
    if (!strategy) return bad("want random or pct");
    plan.strategy = *strategy;
  } else if (name == "DRPC_SIM_REPLAY") {
    if (value.empty()) return bad("want a choice log's path");
    plan.replay_file = value;
  } else if (name == "DRPC_SIM_LOG_DIR") {
    if (value.empty()) return bad("want a directory");
    plan.log_dir = value;
  }
  return OkStatus();
}

// The running program's path, for a command a user can paste.
std::string ProgramPath() {
  std::array<char, 4096> path{};
  const ssize_t n = readlink("/proc/self/exe", path.data(), path.size() - 1);
  return n > 0 ? std::string(path.data(), static_cast<size_t>(n)) : std::string("<test binary>");
}

// A file name part made of the test's name: letters, digits, '.', '_', '-'.
std::string FileSafe(const std::string& name) {
  std::string out = name;
  for (char& c : out) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  return out;
}

}  // namespace

std::string_view StrategyName(Strategy strategy) {
  return strategy == Strategy::kPct ? "pct" : "random";
}

std::optional<Strategy> StrategyFromName(std::string_view name) {
  if (name == "random") return Strategy::kRandom;
  if (name == "pct") return Strategy::kPct;
  return std::nullopt;
}

std::vector<uint64_t> SeedPlan::Seeds() const {
  std::vector<uint64_t> seeds;
  if (!replay_file.empty()) return seeds;
  seeds.reserve(count);
  for (uint64_t i = 0; i < count; ++i) seeds.push_back(first_seed + i);
  return seeds;
}

Result<SeedPlan> SeedPlanFromEnvironment(SeedPlan defaults) {
  SeedPlan plan = std::move(defaults);
  for (const char* name : kSettings) {
    if (const char* value = std::getenv(name); value != nullptr) {
      if (Status st = Apply(plan, name, value); !st.ok()) return st;
    }
  }
  for (const char* name : kSettings) {
    auto flag = FlagValues().find(name);
    if (flag == FlagValues().end()) continue;
    if (Status st = Apply(plan, name, flag->second); !st.ok()) return st;
  }
  return plan;
}

Status ConsumeSeedFlags(int* argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < *argc; ++i) {
    const std::string_view arg = argv[i];
    constexpr std::string_view kPrefix = "--drpc_sim_";
    if (!arg.starts_with(kPrefix)) {
      argv[kept++] = argv[i];
      continue;
    }
    const size_t eq = arg.find('=');
    std::string name = "DRPC_SIM_" + std::string(arg.substr(kPrefix.size(), eq - kPrefix.size()));
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    bool known = false;
    for (const char* setting : kSettings) known = known || name == setting;
    if (!known || eq == std::string_view::npos) {
      return InvalidArgumentError("unknown flag or no value: " + std::string(arg));
    }
    // Checked now, so a bad flag stops the program before any test runs.
    SeedPlan probe;
    const std::string value(arg.substr(eq + 1));
    if (Status st = Apply(probe, name, value); !st.ok()) return st;
    FlagValues()[name] = value;
  }
  *argc = kept;
  argv[kept] = nullptr;
  return OkStatus();
}

RunResult RunSeed(const SeedPlan& plan, uint64_t seed, const RunOptions& options,
                  FunctionRef<void()> body) {
  if (plan.strategy == Strategy::kPct) {
    PctSource decisions(seed, PctOptions{.depth = plan.pct_depth, .steps = plan.pct_steps});
    return Run(decisions, options, body);
  }
  RandomSource decisions(seed);
  return Run(decisions, options, body);
}

Result<RunResult> ReplayChoiceLog(const std::string& path, const RunOptions& options,
                                  FunctionRef<void()> body, bool* matches_recorded) {
  std::ifstream in(path);
  if (!in) return NotFoundError("cannot read the choice log " + path);
  std::stringstream text;
  text << in.rdbuf();
  Result<ChoiceLogFile> log = ParseChoiceLog(text.str());
  if (!log.ok()) return InvalidArgumentError(path + ": " + log.status().message());
  ReplaySource decisions(log->choices);
  RunResult result = Run(decisions, options, body);
  if (matches_recorded != nullptr) {
    *matches_recorded =
        log->result.has_value() && decisions.fully_consumed() &&
        *log->result == RecordedResult{.outcome = std::string(OutcomeName(result.outcome)),
                                       .steps = result.steps,
                                       .trace_hash = result.trace_hash};
  }
  return result;
}

Result<std::string> SaveFailedRun(const std::string& test_name, Strategy strategy, uint64_t seed,
                                  const RunResult& result, const std::string& dir) {
  ChoiceLogFile file;
  file.scenario = test_name;
  file.seed = seed;
  file.options.emplace_back("strategy", std::string(StrategyName(strategy)));
  file.result = RecordedResult{.outcome = std::string(OutcomeName(result.outcome)),
                               .steps = result.steps,
                               .trace_hash = result.trace_hash};
  file.choices = result.choice_log;
  const std::string path =
      dir + "/" + FileSafe(test_name) + ".seed" + std::to_string(seed) + ".choices";
  std::ofstream out(path, std::ios::trunc);
  out << FormatChoiceLog(file);
  out.close();
  if (!out) return InternalError("cannot write the choice log " + path);
  return path;
}

std::string ReplayCommand(const std::string& test_name, Strategy strategy, uint64_t seed) {
  return "DRPC_SIM_SEED=" + std::to_string(seed) +
         " DRPC_SIM_STRATEGY=" + std::string(StrategyName(strategy)) + " " + ProgramPath() +
         " --gtest_filter=" + test_name;
}

std::string ReplayLogCommand(const std::string& test_name, const std::string& log_path) {
  return "DRPC_SIM_REPLAY=" + log_path + " " + ProgramPath() + " --gtest_filter=" + test_name;
}

}  // namespace drpc::sim
