#include "sim/cli/runner.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>

#include "drpc/base/plant.h"
#include "sim/sched/pct_source.h"
#include "sim/sched/random_source.h"
#include "sim/sched/replay_source.h"
#include "sim/sched/trace.h"

namespace drpc::sim::cli {
namespace {

// The options that change what a run does (and so belong in a replay).
struct OptionField {
  const char* key;
  uint64_t min;
  uint64_t max;
  uint64_t (*get)(const RunOptions&);
  void (*set)(RunOptions&, uint64_t);
};

constexpr OptionField kFields[] = {
    {"max_steps", 1, UINT64_MAX, [](const RunOptions& o) { return o.max_steps; },
     [](RunOptions& o, uint64_t v) { o.max_steps = v; }},
    {"stack_bytes", 16 * 1024, 64 * 1024 * 1024,
     [](const RunOptions& o) { return static_cast<uint64_t>(o.stack_bytes); },
     [](RunOptions& o, uint64_t v) { o.stack_bytes = static_cast<size_t>(v); }},
    {"max_fibers", 1, 1'000'000,
     [](const RunOptions& o) { return static_cast<uint64_t>(o.max_fibers); },
     [](RunOptions& o, uint64_t v) { o.max_fibers = static_cast<uint32_t>(v); }},
};

// The decision source seed `seed` stands for under the settings' strategy.
std::unique_ptr<DecisionSource> MakeSource(uint64_t seed, const RunSettings& settings) {
  if (settings.strategy == Strategy::kPct) return std::make_unique<PctSource>(seed, settings.pct);
  return std::make_unique<RandomSource>(seed);
}

std::string Flag(const char* key) {
  std::string flag = "--";
  for (const char* c = key; *c != '\0'; ++c) flag += *c == '_' ? '-' : *c;
  return flag;
}

}  // namespace

bool ParseCount(const std::string& text, uint64_t min, uint64_t max, uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  if (value < min || value > max) return false;
  out = value;
  return true;
}

std::string Hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, value);
  return buf;
}

std::string_view StrategyName(Strategy strategy) {
  return strategy == Strategy::kPct ? "pct" : "random";
}

uint64_t LearnRunLength(const Scenario& scenario, const RunOptions& options) {
  RunOptions quiet = options;
  quiet.keep_full_trace = false;
  quiet.record_choices = false;
  uint64_t steps = 1;
  for (uint64_t seed = 0; seed < 3; ++seed) {
    RandomSource random(seed);
    steps = std::max(steps, Run(random, quiet, scenario.body).steps);
  }
  return steps;
}

bool SeedRun::failed() const {
  return !result.ok() || (determinism.has_value() && !determinism->deterministic);
}

SeedRun RunSeed(const Scenario& scenario, uint64_t seed, const RunSettings& settings,
                bool check_determinism) {
  SeedRun run;
  run.seed = seed;
  if (!check_determinism) {
    std::unique_ptr<DecisionSource> source = MakeSource(seed, settings);
    run.result = Run(*source, settings.options, scenario.body);
    return run;
  }
  DeterminismReport report = CheckDeterminism(
      [seed, &settings]() -> std::unique_ptr<DecisionSource> { return MakeSource(seed, settings); },
      settings.options, scenario.body);
  run.result = report.first;
  run.determinism = std::move(report);
  return run;
}

ReplayRun RunReplay(const Scenario& scenario, const ChoiceLogFile& log,
                    const RunSettings& settings) {
  ReplaySource replay(log.choices);
  ReplayRun run;
  run.result = Run(replay, settings.options, scenario.body);
  run.fully_consumed = replay.fully_consumed();
  return run;
}

std::vector<std::pair<std::string, std::string>> OptionPairs(const RunOptions& options) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const OptionField& field : kFields) {
    pairs.emplace_back(field.key, std::to_string(field.get(options)));
  }
  // The whole set, the scenario's own included; a log without the line (one
  // written before plants existed) runs with the scenario's own.
  if (!options.plants.empty()) pairs.emplace_back("plants", options.plants.ToString());
  // Likewise the faults (with swarm: the pool it draws from; the draw itself
  // is on the tape) and swarm: a log without them runs without faults.
  if (!options.faults.empty()) pairs.emplace_back("faults", options.faults.ToString());
  if (options.swarm) pairs.emplace_back("swarm", "1");
  return pairs;
}

bool ApplyOption(RunOptions& options, const std::string& key, const std::string& value,
                 std::string& error) {
  if (key == "plants") {
    std::optional<plant::Set> plants = plant::Set::Parse(value, error);
    if (!plants) {
      error = "option plants: " + error;
      return false;
    }
    if (!plants->empty() && DRPC_CHECKED == 0) {
      error = "option plants: planted bugs exist only in checked builds (DRPC_CHECKED=1)";
      return false;
    }
    options.plants = *plants;
    return true;
  }
  if (key == "faults") {
    std::optional<FaultConfig> faults = FaultConfig::Parse(value, error);
    if (!faults) {
      error = "option faults: " + error;
      return false;
    }
    options.faults = std::move(*faults);
    return true;
  }
  if (key == "swarm") {
    if (value != "0" && value != "1") {
      error = "option swarm needs 0 or 1, got '" + value + "'";
      return false;
    }
    options.swarm = value == "1";
    return true;
  }
  for (const OptionField& field : kFields) {
    if (key != field.key) continue;
    uint64_t v = 0;
    if (!ParseCount(value, field.min, field.max, v)) {
      error = "option " + key + " needs a whole number in [" + std::to_string(field.min) + ", " +
              std::to_string(field.max) + "], got '" + value + "'";
      return false;
    }
    field.set(options, v);
    return true;
  }
  error = "unknown option '" + key + "'";
  return false;
}

std::string ReplayLine(const Scenario& scenario, uint64_t seed, const RunSettings& settings) {
  std::string line =
      settings.program + " run --scenario " + scenario.name + " --seed " + std::to_string(seed);
  for (const OptionField& field : kFields) {
    const uint64_t value = field.get(settings.options);
    if (value != field.get(scenario.options)) {
      line += " " + Flag(field.key) + " " + std::to_string(value);
    }
  }
  plant::Set added;  // beyond the scenario's own
  for (int i = 0; i < plant::kSiteCount; ++i) {
    const plant::Site site = static_cast<plant::Site>(i);
    if (settings.options.plants.contains(site) && !scenario.options.plants.contains(site)) {
      added.insert(site);
    }
  }
  if (!added.empty()) line += " --plant " + added.ToString();
  if (settings.options.faults != scenario.options.faults) {
    line += " --faults " +
            (settings.options.faults.empty() ? "none" : settings.options.faults.ToString());
  }
  if (settings.options.swarm && !scenario.options.swarm) line += " --swarm";
  if (settings.strategy == Strategy::kPct) {
    line += " --strategy pct --pct-depth " + std::to_string(settings.pct.depth) + " --pct-steps " +
            std::to_string(settings.pct.steps);
  }
  return line;
}

ChoiceLogFile MakeLog(const Scenario& scenario, uint64_t seed, const RunSettings& settings,
                      const RunResult& result) {
  ChoiceLogFile log;
  log.scenario = scenario.name;
  log.seed = seed;
  log.options = OptionPairs(settings.options);
  log.result =
      RecordedResult{std::string(OutcomeName(result.outcome)), result.steps, result.trace_hash};
  log.choices = result.choice_log;
  return log;
}

std::string LogPath(const RunSettings& settings, const std::string& name) {
  std::string path = settings.log_dir.empty() ? "." : settings.log_dir;
  if (path.back() != '/') path += '/';
  return path + name;
}

bool WriteLog(const ChoiceLogFile& log, const std::string& path, std::string& error) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << FormatChoiceLog(log);
  file.close();
  if (!file) {
    error = "could not write " + path;
    return false;
  }
  return true;
}

std::string SaveLog(const ChoiceLogFile& log, const RunSettings& settings, std::string& error) {
  std::string name = log.scenario;
  if (settings.strategy == Strategy::kPct) name += ".pct-d" + std::to_string(settings.pct.depth);
  if (log.seed) name += ".seed-" + std::to_string(*log.seed);
  name += ".choices";
  const std::string path = LogPath(settings, name);
  return WriteLog(log, path, error) ? path : "";
}

std::string FailureReport(const Scenario& scenario, const SeedRun& run, const RunSettings& settings,
                          const std::string& saved_log) {
  const RunResult& r = run.result;
  const bool nondeterministic = run.determinism.has_value() && !run.determinism->deterministic;
  const std::string strategy = settings.strategy == Strategy::kPct
                                   ? " (pct, depth " + std::to_string(settings.pct.depth) + ")"
                                   : "";
  std::string out = "FAIL " + scenario.name + " seed " + std::to_string(run.seed) + strategy +
                    ": " +
                    (nondeterministic && r.ok() ? std::string("nondeterminism")
                                                : std::string(OutcomeName(r.outcome))) +
                    "\n";
  if (!r.ok()) out += r.report + "\n";
  if (nondeterministic) out += run.determinism->summary + "\n";
  out += "replay: " + ReplayLine(scenario, run.seed, settings) +
         (nondeterministic ? " --check-determinism" : "") + "\n";
  out += "options: " + settings.options.ToString() + "\n";
  if (settings.options.swarm) {
    out += "swarm drew faults: " + (r.faults.empty() ? "none" : r.faults.ToString()) + "\n";
  }
  if (!saved_log.empty()) {
    out += "choice log: " + saved_log + "\n";
    out += "shrink: " + settings.program + " shrink " + saved_log + "\n";
  }
  out += "trace hash " + Hex(r.trace_hash) + ", " + std::to_string(r.steps) + " steps, " +
         std::to_string(r.choice_log.size()) + " choices, virtual time " + FormatTime(r.end_time) +
         "\n";
  if (!r.trace_tail.empty()) {
    out += "trace tail (last " + std::to_string(settings.options.trace_tail_events) +
           " events):\n" + r.trace_tail;
  }
  return out;
}

}  // namespace drpc::sim::cli
