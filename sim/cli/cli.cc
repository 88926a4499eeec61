#include "sim/cli/cli.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "drpc/base/plant.h"
#include "sim/cli/html_timeline.h"
#include "sim/cli/jsonl.h"
#include "sim/cli/merge.h"
#include "sim/cli/runner.h"
#include "sim/cli/search.h"
#include "sim/cli/shard.h"
#include "sim/cli/strategy_mix.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/trace.h"

namespace drpc::sim::cli {
namespace {

constexpr char kUsage[] =
    "usage: drpc-sim <command> [flags]\n"
    "\n"
    "commands:\n"
    "  list                                   the built-in scenarios\n"
    "  run    --scenario NAME --seed S        one run; on failure prints a replay line and\n"
    "         [--trace FILE]                  the trace tail and saves the choice log\n"
    "         [--save-log FILE]               (--trace writes the full trace; --save-log\n"
    "         [--check-determinism]           saves the log even if the run passes)\n"
    "         [--html FILE]                   --html (run, replay): an HTML timeline\n"
    "  sweep  (--scenario NAME | --all-fixed) seeds S..S+N-1 of one scenario, or of every\n"
    "         --seeds N [--from S]            scenario expected to pass; progress on stderr\n"
    "         [--check-determinism]           (--jsonl: a JSON line per failing seed and a\n"
    "         [--jsonl FILE]                  summary line, sim/cli/jsonl.h; --shard I/N:\n"
    "         [--shard I/N]                   only the seeds whose offset is I modulo N)\n"
    "  merge  FILE...                         one report from the --jsonl files of the N\n"
    "                                         shards of a sweep (docs/sharded-sweeps.md)\n"
    "  replay FILE [--trace FILE]             rerun a saved choice log; --expect-recorded:\n"
    "         [--expect-recorded]             succeed only if it reproduces the logged result\n"
    "         [--html FILE]                   of the run (docs/timeline.md)\n"
    "  check  --scenario NAME --seed S        determinism self-check: run twice, compare\n"
    "  hunt   --scenario NAME [--trials T]    seeds the scheduler needs to find a planted\n"
    "         [--max-seeds N]                 bug, over T independent trials\n"
    "  explore --scenario NAME                every distinct run with at most P preemptions\n"
    "         [--preemptions P] [--budget B]  (2) and B non-default net/fault/workload choices\n"
    "         [--max-runs N]                  (0), depth first, up to N runs (100000); stops\n"
    "                                         at the first failure and saves its choice log\n"
    "  shrink FILE [--out FILE]               minimize a failing choice log (fewer choices,\n"
    "         [--max-runs N] [--trace FILE]   smaller values, fewer preemptions) within N\n"
    "                                         runs (2000); writes FILE's .shrunk.choices\n"
    "\n"
    "plants (run, sweep, check, hunt, explore; replay and shrink take them from the log):\n"
    "  --plant LIST                            switch on planted bugs (drpc/base/plant.h):\n"
    "                                          comma-separated site names, or none; added to\n"
    "                                          the scenario's own (checked builds only).\n"
    "                                          hunt takes a passing scenario given plants\n"
    "\n"
    "faults (run, sweep, check, hunt, explore; replay and shrink take them from the log):\n"
    "  --faults LIST                           inject faults (docs/faults.md): comma-separated\n"
    "                                          NAME[:N] (one time in N, default 8), all[:N],\n"
    "                                          or none; replaces the scenario's own\n"
    "  --swarm                                 each seed first draws which faults are on and\n"
    "                                          at what rate (from --faults, else from all)\n"
    "\n"
    "strategies (run, sweep, check, hunt: what seed S means):\n"
    "  --strategy S      DRPC_SIM_STRATEGY     random (the seeded random scheduler, default),\n"
    "                                          pct or pct:D (sim/sched/pct_source.h); sweep:\n"
    "                                          a comma-separated mix (seed S runs under entry\n"
    "                                          S mod n), or mix for scripts/sim's own\n"
    "  --pct-depth D     DRPC_SIM_PCT_DEPTH    PCT: D-1 priority change points (3; 1..64)\n"
    "  --pct-steps K     DRPC_SIM_PCT_STEPS    PCT: estimated run length in steps (default:\n"
    "                                          the most steps of random seeds 0..2)\n"
    "\n"
    "run options (flag, or environment variable; the flag wins):\n"
    "  --max-steps N     DRPC_SIM_MAX_STEPS    scheduling steps before a run fails (livelock)\n"
    "  --stack-bytes N   DRPC_SIM_STACK_BYTES  usable bytes per fiber stack\n"
    "  --max-fibers N    DRPC_SIM_MAX_FIBERS   fibers a run may spawn\n"
    "  --trace-tail N    DRPC_SIM_TRACE_TAIL   events in a failure's trace tail\n"
    "  --log-dir DIR     DRPC_SIM_LOG_DIR      where failing runs save their choice logs (.)\n"
    "  --no-save-log                           do not save choice logs\n"
    "\n"
    "exit status: 0 ok (shrink: shrunk), 1 failure found (shrink: the log does not fail),\n"
    "2 bad arguments\n";

constexpr uint64_t kMaxSweepSeeds = 100'000'000;
constexpr uint64_t kMaxHuntTrials = 10'000;
// Seeds per trial when hunting a plant in a passing scenario (no bound).
constexpr uint64_t kHuntMaxSeeds = 2'000;
constexpr size_t kMaxLogFileBytes = 256 * 1024 * 1024;
constexpr size_t kFailingSeedsListed = 10;
constexpr uint64_t kMaxPreemptions = 64;
constexpr uint64_t kMaxSearchRuns = 1'000'000'000;
constexpr uint64_t kMaxPctSteps = 1'000'000'000'000;

struct Parsed {
  std::string command;
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::set<std::string> switches;
};

// The flags each command accepts; true = takes a value.
const std::map<std::string, bool> kOptionFlags = {
    {"--max-steps", true},  {"--stack-bytes", true}, {"--max-fibers", true},
    {"--trace-tail", true}, {"--log-dir", true},     {"--no-save-log", false},
};
// The strategy flags (run, sweep, check, hunt).
const std::map<std::string, bool> kStrategyFlags = {
    {"--strategy", true}, {"--pct-depth", true}, {"--pct-steps", true}};
const std::map<std::string, std::map<std::string, bool>> kCommandFlags = {
    {"list", {}},
    {"run",
     {{"--scenario", true},
      {"--seed", true},
      {"--trace", true},
      {"--html", true},
      {"--save-log", true},
      {"--check-determinism", false}}},
    {"sweep",
     {{"--scenario", true},
      {"--all-fixed", false},
      {"--seeds", true},
      {"--from", true},
      {"--check-determinism", false},
      {"--jsonl", true},
      {"--shard", true}}},
    {"merge", {}},
    {"replay", {{"--trace", true}, {"--html", true}, {"--expect-recorded", false}}},
    {"check", {{"--scenario", true}, {"--seed", true}}},
    {"hunt", {{"--scenario", true}, {"--trials", true}, {"--max-seeds", true}}},
    {"explore",
     {{"--scenario", true}, {"--preemptions", true}, {"--budget", true}, {"--max-runs", true}}},
    {"shrink", {{"--out", true}, {"--max-runs", true}, {"--trace", true}}},
};

bool TakesStrategy(const std::string& command) {
  return command == "run" || command == "sweep" || command == "check" || command == "hunt";
}
// Replay and shrink run a log, which records its plants.
bool TakesPlants(const std::string& command) {
  return TakesStrategy(command) || command == "explore";
}

class Cli {
 public:
  Cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
      const Environment& env, bool err_is_terminal)
      : args_(args), out_(out), err_(err), env_(env), err_is_terminal_(err_is_terminal) {}

  int Main();

 private:
  int Usage(const std::string& problem) {
    err_ << "drpc-sim: " << problem << "\n(run `drpc-sim help` for usage)\n";
    return kExitUsage;
  }
  bool Parse(std::string& problem);
  bool Number(const std::string& flag, uint64_t& out, std::string& problem) const;
  const Scenario* ScenarioFlag(std::string& problem) const;
  bool Settings(const Scenario& scenario, RunSettings& settings, std::string& problem) const;
  bool StrategySettings(const Scenario& scenario, RunSettings& settings,
                        std::string& problem) const;
  bool PlantSettings(RunSettings& settings, std::string& problem) const;
  bool FaultSettings(RunSettings& settings, std::string& problem) const;
  std::optional<std::pair<std::string, std::string>> Knob(const char* flag, const char* env) const;
  bool LoadLog(const std::string& path, ChoiceLogFile& log, std::string& problem) const;
  std::string Save(const Scenario& scenario, const SeedRun& run, const RunSettings& settings);
  bool WriteTrace(const RunResult& result);
  bool WriteHtml(const std::string& title, const std::string& replay, const RunResult& result);

  int List();
  int RunCommand(bool check_determinism);
  int Sweep();
  // Totals of a sweep, across its scenarios.
  struct SweepTotals {
    std::vector<JsonlWriter::ScenarioTotals> scenarios;
    std::map<std::string, uint64_t> by_outcome;
    std::optional<RunSettings> settings;  // the first scenario's (the summary's strategy)
  };
  int SweepOne(const Scenario& scenario, uint64_t from, uint64_t seeds, bool check, bool& failed,
               JsonlWriter& jsonl, SweepTotals& totals);
  int Merge();
  int Replay();
  int Hunt();
  int ExploreCommand();
  int ShrinkCommand();

  const std::vector<std::string>& args_;
  std::ostream& out_;
  std::ostream& err_;
  const Environment& env_;
  const bool err_is_terminal_;
  Parsed parsed_;
  Shard shard_;  // sweep --shard
};

int Cli::Main() {
  std::string problem;
  if (args_.size() < 2) return Usage("no command given");
  if (args_[1] == "help" || args_[1] == "--help" || args_[1] == "-h") {
    out_ << kUsage;
    return kExitOk;
  }
  if (!Parse(problem)) return Usage(problem);
  const std::string& c = parsed_.command;
  if (c == "list") return List();
  if (c == "run") return RunCommand(parsed_.switches.count("--check-determinism") > 0);
  if (c == "check") return RunCommand(true);
  if (c == "sweep") return Sweep();
  if (c == "merge") return Merge();
  if (c == "replay") return Replay();
  if (c == "hunt") return Hunt();
  if (c == "explore") return ExploreCommand();
  if (c == "shrink") return ShrinkCommand();
  return Usage("unknown command '" + c + "'");
}

bool Cli::Parse(std::string& problem) {
  parsed_.command = args_[1];
  auto command = kCommandFlags.find(parsed_.command);
  if (command == kCommandFlags.end()) {
    problem = "unknown command '" + parsed_.command + "'";
    return false;
  }
  for (size_t i = 2; i < args_.size(); ++i) {
    const std::string& arg = args_[i];
    if (arg.rfind("--", 0) != 0) {
      parsed_.positional.push_back(arg);
      continue;
    }
    auto flag = command->second.find(arg);
    bool known = flag != command->second.end();
    bool takes_value = known && flag->second;
    if (!known && TakesStrategy(parsed_.command)) {
      auto strategy = kStrategyFlags.find(arg);
      known = strategy != kStrategyFlags.end();
      takes_value = known && strategy->second;
    }
    if (!known && TakesPlants(parsed_.command) && (arg == "--plant" || arg == "--faults")) {
      known = takes_value = true;
    }
    if (!known && TakesPlants(parsed_.command) && arg == "--swarm") known = true;
    if (!known && parsed_.command != "list") {
      auto option = kOptionFlags.find(arg);
      known = option != kOptionFlags.end();
      takes_value = known && option->second;
    }
    if (!known) {
      problem = "'" + parsed_.command + "' does not take " + arg;
      return false;
    }
    if (parsed_.values.count(arg) > 0 || parsed_.switches.count(arg) > 0) {
      problem = arg + " given twice";
      return false;
    }
    if (!takes_value) {
      parsed_.switches.insert(arg);
      continue;
    }
    if (i + 1 >= args_.size()) {
      problem = arg + " needs a value";
      return false;
    }
    parsed_.values[arg] = args_[++i];
  }
  const bool wants_file = parsed_.command == "replay" || parsed_.command == "shrink";
  if (parsed_.command == "merge") {
    if (parsed_.positional.empty()) {
      problem = "merge takes the --jsonl files of a sweep's shards";
      return false;
    }
  } else if (parsed_.positional.size() != (wants_file ? 1u : 0u)) {
    problem = wants_file ? parsed_.command + " takes exactly one choice log file"
                         : "unexpected argument '" + parsed_.positional.front() + "'";
    return false;
  }
  return true;
}

bool Cli::Number(const std::string& flag, uint64_t& out, std::string& problem) const {
  auto it = parsed_.values.find(flag);
  if (it == parsed_.values.end()) {
    problem = parsed_.command + " needs " + flag;
    return false;
  }
  if (!ParseCount(it->second, 0, UINT64_MAX, out)) {
    problem = flag + " needs a non-negative whole number, got '" + it->second + "'";
    return false;
  }
  return true;
}

const Scenario* Cli::ScenarioFlag(std::string& problem) const {
  auto it = parsed_.values.find("--scenario");
  if (it == parsed_.values.end()) {
    problem = parsed_.command + " needs --scenario NAME (see `drpc-sim list`)";
    return nullptr;
  }
  const Scenario* scenario = Scenarios().Find(it->second);
  if (scenario == nullptr) {
    problem = "no scenario named '" + it->second + "' (see `drpc-sim list`)";
  }
  return scenario;
}

bool Cli::Settings(const Scenario& scenario, RunSettings& settings, std::string& problem) const {
  settings.options = scenario.options;
  settings.program = args_[0];
  // Environment first, then flags, so a flag wins.
  struct Source {
    const char* env;
    const char* flag;
    const char* key;  // RunOptions key, or null for the ones handled here
  };
  const Source sources[] = {
      {"DRPC_SIM_MAX_STEPS", "--max-steps", "max_steps"},
      {"DRPC_SIM_STACK_BYTES", "--stack-bytes", "stack_bytes"},
      {"DRPC_SIM_MAX_FIBERS", "--max-fibers", "max_fibers"},
      {"DRPC_SIM_TRACE_TAIL", "--trace-tail", nullptr},
      {"DRPC_SIM_LOG_DIR", "--log-dir", nullptr},
  };
  for (int pass = 0; pass < 2; ++pass) {
    for (const Source& s : sources) {
      std::optional<std::string> value;
      if (pass == 0) {
        if (const char* v = env_ ? env_(s.env) : nullptr) value = v;
      } else if (auto it = parsed_.values.find(s.flag); it != parsed_.values.end()) {
        value = it->second;
      }
      if (!value) continue;
      const std::string origin = pass == 0 ? std::string(s.env) : std::string(s.flag);
      if (s.key != nullptr) {
        std::string error;
        if (!ApplyOption(settings.options, s.key, *value, error)) {
          problem = origin + ": " + error;
          return false;
        }
      } else if (std::string(s.flag) == "--log-dir") {
        settings.log_dir = *value;
      } else {
        uint64_t tail = 0;
        if (!ParseCount(*value, 0, 100'000, tail)) {
          problem = origin + ": needs a whole number in [0, 100000], got '" + *value + "'";
          return false;
        }
        settings.options.trace_tail_events = static_cast<size_t>(tail);
      }
    }
  }
  settings.save_logs = parsed_.switches.count("--no-save-log") == 0;
  if (!PlantSettings(settings, problem) || !FaultSettings(settings, problem)) return false;
  return !TakesStrategy(parsed_.command) || StrategySettings(scenario, settings, problem);
}

// --plant: sites added to the scenario's own plants.
bool Cli::PlantSettings(RunSettings& settings, std::string& problem) const {
  auto it = parsed_.values.find("--plant");
  if (it == parsed_.values.end()) return true;
  std::string error;
  const std::optional<plant::Set> plants = plant::Set::Parse(it->second, error);
  if (!plants) {
    std::string known;
    for (int i = 0; i < plant::kSiteCount; ++i) {
      known += std::string(i == 0 ? "" : ", ") + std::string(plant::Name(plant::Site(i)));
    }
    problem = "--plant: " + error + "; the sites are " + known;
    return false;
  }
  if (!plants->empty() && DRPC_CHECKED == 0) {
    problem = "--plant: planted bugs exist only in checked builds (DRPC_CHECKED=1)";
    return false;
  }
  for (int i = 0; i < plant::kSiteCount; ++i) {
    if (plants->contains(plant::Site(i))) settings.options.plants.insert(plant::Site(i));
  }
  return true;
}

// --faults replaces the scenario's fault configuration; --swarm draws one
// per seed from it.
bool Cli::FaultSettings(RunSettings& settings, std::string& problem) const {
  if (auto it = parsed_.values.find("--faults"); it != parsed_.values.end()) {
    std::string error;
    std::optional<FaultConfig> faults = FaultConfig::Parse(it->second, error);
    if (!faults) {
      problem = "--faults: " + error;
      return false;
    }
    settings.options.faults = std::move(*faults);
  }
  if (parsed_.switches.count("--swarm") > 0) settings.options.swarm = true;
  return true;
}

// A knob's value and where it came from: the flag, else the environment.
std::optional<std::pair<std::string, std::string>> Cli::Knob(const char* flag,
                                                             const char* env) const {
  if (auto it = parsed_.values.find(flag); it != parsed_.values.end()) {
    return std::make_pair(std::string(flag), it->second);
  }
  if (const char* v = env_ ? env_(env) : nullptr) return std::make_pair(std::string(env), v);
  return std::nullopt;
}

bool Cli::StrategySettings(const Scenario& scenario, RunSettings& settings,
                           std::string& problem) const {
  bool depth_from_strategy = false;  // --strategy pct:D
  if (auto strategy = Knob("--strategy", "DRPC_SIM_STRATEGY")) {
    std::vector<MixEntry> entries;
    std::string error;
    if (!ParseStrategies(strategy->second, entries, error)) {
      problem = strategy->first + ": " + error;
      return false;
    }
    if (entries.size() > 1 && parsed_.command != "sweep") {
      problem = strategy->first + ": a mix of strategies is for sweep; " + parsed_.command +
                " takes one (random, pct or pct:D)";
      return false;
    }
    if (entries.size() > 1) settings.mix = entries;
    // With a mix, `strategy` says whether any entry is PCT (its knobs below).
    settings.strategy = Strategy::kRandom;
    for (const MixEntry& e : entries) {
      if (e.strategy == Strategy::kPct) settings.strategy = Strategy::kPct;
    }
    if (entries.size() == 1 && entries.front().pct_depth != 0) {
      settings.pct.depth = entries.front().pct_depth;
      depth_from_strategy = true;
    }
  }
  if (settings.strategy != Strategy::kPct) {
    // The environment may set PCT knobs for every command; a flag is a mistake.
    for (const char* flag : {"--pct-depth", "--pct-steps"}) {
      if (parsed_.values.count(flag) > 0) {
        problem = std::string(flag) + " needs --strategy pct";
        return false;
      }
    }
    return true;
  }
  if (depth_from_strategy && parsed_.values.count("--pct-depth") > 0) {
    problem = "--pct-depth and --strategy pct:D both give the depth";
    return false;
  }
  if (auto depth = depth_from_strategy ? std::nullopt : Knob("--pct-depth", "DRPC_SIM_PCT_DEPTH")) {
    uint64_t d = 0;
    if (!ParseCount(depth->second, 1, kMaxPctDepth, d)) {
      problem = depth->first + ": needs a whole number in [1, " + std::to_string(kMaxPctDepth) +
                "], got '" + depth->second + "'";
      return false;
    }
    settings.pct.depth = static_cast<uint32_t>(d);
  }
  if (auto steps = Knob("--pct-steps", "DRPC_SIM_PCT_STEPS")) {
    if (!ParseCount(steps->second, 1, kMaxPctSteps, settings.pct.steps)) {
      problem = steps->first + ": needs a whole number in [1, " + std::to_string(kMaxPctSteps) +
                "], got '" + steps->second + "'";
      return false;
    }
  } else {
    settings.pct.steps = LearnRunLength(scenario, settings.options);
  }
  return true;
}

std::string Cli::Save(const Scenario& scenario, const SeedRun& run, const RunSettings& settings) {
  if (!settings.save_logs) return "";
  std::string error;
  std::string path = SaveLog(MakeLog(scenario, run.seed, settings, run.result), settings, error);
  if (path.empty()) err_ << "drpc-sim: " << error << "\n";
  return path;
}

bool Cli::WriteTrace(const RunResult& result) {
  auto it = parsed_.values.find("--trace");
  if (it == parsed_.values.end()) return true;
  std::ofstream file(it->second, std::ios::binary | std::ios::trunc);
  file << result.full_trace;
  file.close();
  if (!file) {
    err_ << "drpc-sim: could not write the trace to " << it->second << "\n";
    return false;
  }
  out_ << "full trace (" << std::count(result.full_trace.begin(), result.full_trace.end(), '\n')
       << " lines) written to " << it->second << "\n";
  return true;
}

// --html FILE: the run's timeline page (html_timeline.h).
bool Cli::WriteHtml(const std::string& title, const std::string& replay, const RunResult& result) {
  auto it = parsed_.values.find("--html");
  if (it == parsed_.values.end()) return true;
  TimelineRun page{title,          std::string(OutcomeName(result.outcome)),
                   result.report,  replay,
                   &result.events, &result.trace_names};
  std::string error;
  if (!WriteTimeline(page, it->second, error)) {
    err_ << "drpc-sim: " << error << "\n";
    return false;
  }
  out_ << "timeline (" << result.events.size() << " events) written to " << it->second << "\n";
  return true;
}

int Cli::List() {
  for (const Scenario& s : Scenarios().all()) {
    std::string expect(ExpectationName(s.expect));
    if (s.expect == Expectation::kFindsBug) {
      expect += " (" + std::string(OutcomeName(s.bug_outcome)) + " within " +
                std::to_string(s.find_within_seeds) + " seeds)";
    }
    out_ << s.name << std::string(s.name.size() < 30 ? 30 - s.name.size() : 1, ' ') << expect
         << "\n    " << s.description << "\n";
  }
  return kExitOk;
}

int Cli::RunCommand(bool check_determinism) {
  std::string problem;
  uint64_t seed = 0;
  const Scenario* scenario = ScenarioFlag(problem);
  RunSettings settings;
  if (scenario == nullptr || !Number("--seed", seed, problem) ||
      !Settings(*scenario, settings, problem)) {
    return Usage(problem);
  }
  if (parsed_.values.count("--trace") > 0 || parsed_.values.count("--html") > 0) {
    settings.options.keep_full_trace = true;
  }
  SeedRun run = RunSeed(*scenario, seed, settings, check_determinism);
  if (!WriteTrace(run.result) || !WriteHtml(scenario->name + " seed " + std::to_string(seed),
                                            ReplayLine(*scenario, seed, settings), run.result)) {
    return kExitUsage;
  }
  if (auto it = parsed_.values.find("--save-log"); it != parsed_.values.end()) {
    std::ofstream file(it->second, std::ios::binary | std::ios::trunc);
    file << FormatChoiceLog(MakeLog(*scenario, seed, settings, run.result));
    file.close();
    if (!file) {
      err_ << "drpc-sim: could not write the choice log to " << it->second << "\n";
      return kExitUsage;
    }
    out_ << "choice log written to " << it->second << "\n";
  }
  if (!run.failed()) {
    out_ << "ok " << scenario->name << " seed " << seed;
    if (settings.strategy == Strategy::kPct) {
      out_ << " (pct, depth " << settings.pct.depth << ", " << settings.pct.steps << " steps)";
    }
    out_ << ": trace hash " << Hex(run.result.trace_hash) << ", " << run.result.steps << " steps, "
         << run.result.choice_log.size() << " choices, virtual time "
         << FormatTime(run.result.end_time) << "\n";
    if (run.determinism) out_ << run.determinism->summary << "\n";
    return kExitOk;
  }
  out_ << FailureReport(*scenario, run, settings, Save(*scenario, run, settings));
  return kExitFailureFound;
}

int Cli::Sweep() {
  std::string problem;
  uint64_t seeds = 0, from = 0;
  if (!Number("--seeds", seeds, problem)) return Usage(problem);
  if (seeds == 0 || seeds > kMaxSweepSeeds) {
    return Usage("--seeds must be between 1 and " + std::to_string(kMaxSweepSeeds));
  }
  if (parsed_.values.count("--from") > 0 && !Number("--from", from, problem)) return Usage(problem);
  if (from > UINT64_MAX - seeds) return Usage("--from + --seeds overflows");
  const bool all_fixed = parsed_.switches.count("--all-fixed") > 0;
  if (all_fixed == (parsed_.values.count("--scenario") > 0)) {
    return Usage("sweep needs exactly one of --scenario NAME and --all-fixed");
  }
  std::vector<const Scenario*> scenarios;
  if (all_fixed) {
    for (const Scenario& s : Scenarios().all()) {
      if (s.expect == Expectation::kPass) scenarios.push_back(&s);
    }
  } else {
    const Scenario* s = ScenarioFlag(problem);
    if (s == nullptr) return Usage(problem);
    scenarios.push_back(s);
  }
  if (auto it = parsed_.values.find("--shard"); it != parsed_.values.end()) {
    std::optional<Shard> shard = ParseShard(it->second, problem);
    if (!shard) return Usage(problem);
    shard_ = *shard;
  }
  const bool check = parsed_.switches.count("--check-determinism") > 0;
  JsonlWriter jsonl;
  if (auto it = parsed_.values.find("--jsonl"); it != parsed_.values.end()) {
    if (it->second.empty()) return Usage("--jsonl needs a file name");
    if (!jsonl.Open(it->second, problem)) return Usage(problem);
  }
  SweepTotals totals;
  uint64_t failed_scenarios = 0;
  for (const Scenario* s : scenarios) {
    bool failed = false;
    if (int rc = SweepOne(*s, from, seeds, check, failed, jsonl, totals);
        rc != kExitOk && !failed) {
      return rc;
    }
    failed_scenarios += failed;
  }
  if (jsonl.is_open()) {
    jsonl.Summary(from, seeds, shard_, *totals.settings, totals.scenarios, totals.by_outcome);
    if (!jsonl.Close(problem)) {
      err_ << "drpc-sim: " << problem << "\n";
      return kExitUsage;
    }
  }
  out_ << "sweep: " << scenarios.size() << " scenario(s) x " << seeds << " seeds (from " << from
       << (shard_.count > 1
               ? ", shard " + std::to_string(shard_.index) + "/" + std::to_string(shard_.count)
               : "")
       << (check ? ", each run twice for determinism" : "")
       << (totals.settings && !totals.settings->mix.empty()
               ? ", seed S under strategy S mod " + std::to_string(totals.settings->mix.size()) +
                     " of " + MixName(totals.settings->mix, totals.settings->pct.depth)
               : "")
       << "): "
       << (failed_scenarios == 0 ? "all passed"
                                 : std::to_string(failed_scenarios) + " scenario(s) FAILED")
       << "\n";
  return failed_scenarios == 0 ? kExitOk : kExitFailureFound;
}

int Cli::SweepOne(const Scenario& scenario, uint64_t from, uint64_t seeds, bool check, bool& failed,
                  JsonlWriter& jsonl, SweepTotals& totals) {
  std::string problem;
  RunSettings settings;
  if (!Settings(scenario, settings, problem)) return Usage(problem);
  if (!totals.settings) totals.settings = settings;
  const std::vector<RunSettings> mix = ExpandMix(settings);
  std::map<std::string, uint64_t> by_outcome;
  std::vector<uint64_t> failing_seeds;
  uint64_t failures = 0;
  // A terminal gets one line redrawn about a hundred times; a log (CI) gets
  // a plain line every tenth of the sweep.
  const uint64_t progress_every =
      std::max<uint64_t>(1, shard_.SeedsOf(seeds) / (err_is_terminal_ ? 100 : 10));
  const uint64_t runs = shard_.SeedsOf(seeds);
  uint64_t done = 0;
  for (uint64_t i = 0; i < seeds; ++i) {
    if (!shard_.Owns(i)) continue;
    ++done;
    const uint64_t seed = from + i;
    const RunSettings& seed_settings = mix[seed % mix.size()];
    SeedRun run = RunSeed(scenario, seed, seed_settings, check);
    if (run.failed()) {
      std::string saved_log;
      if (failures == 0) {
        saved_log = Save(scenario, run, seed_settings);
        out_ << FailureReport(scenario, run, seed_settings, saved_log) << "\n";
      }
      if (jsonl.is_open()) jsonl.Failure(scenario, run, seed_settings, saved_log);
      ++failures;
      const std::string outcome =
          run.result.ok() ? "nondeterminism" : std::string(OutcomeName(run.result.outcome));
      ++by_outcome[outcome];
      ++totals.by_outcome[outcome];
      if (failing_seeds.size() < kFailingSeedsListed) failing_seeds.push_back(seed);
    }
    if (done % progress_every == 0 || done == runs) {
      err_ << (err_is_terminal_ ? "\r" : "") << "sweep " << scenario.name << ": " << done << "/"
           << runs << " seeds, " << failures << " failed"
           << (err_is_terminal_ && done < runs ? "" : "\n") << std::flush;
    }
  }
  out_ << scenario.name << ": " << runs << " seeds, ";
  if (failures == 0) {
    out_ << "all passed\n";
  } else {
    out_ << failures << " FAILED (";
    bool first = true;
    for (const auto& [outcome, count] : by_outcome) {
      out_ << (first ? "" : ", ") << outcome << ": " << count;
      first = false;
    }
    out_ << "); failing seeds:";
    for (uint64_t seed : failing_seeds) out_ << " " << seed;
    out_ << (failures > failing_seeds.size() ? " ..." : "") << "\n";
  }
  failed = failures > 0;
  totals.scenarios.push_back({scenario.name, runs, failures});
  return failed ? kExitFailureFound : kExitOk;
}

bool Cli::LoadLog(const std::string& path, ChoiceLogFile& log, std::string& problem) const {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    problem = "cannot read choice log '" + path + "'";
    return false;
  }
  std::string text;
  char buf[1 << 16];
  while (file.read(buf, sizeof buf) || file.gcount() > 0) {
    text.append(buf, static_cast<size_t>(file.gcount()));
    if (text.size() > kMaxLogFileBytes) {
      problem = "choice log '" + path + "' is too large";
      return false;
    }
  }
  Result<ChoiceLogFile> parsed = ParseChoiceLog(text);
  if (!parsed.ok()) {
    problem = path + ": " + parsed.status().message();
    return false;
  }
  log = std::move(*parsed);
  return true;
}

int Cli::Merge() {
  std::vector<SweepReportFile> files;
  for (const std::string& path : parsed_.positional) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return Usage("cannot read sweep report '" + path + "'");
    std::ostringstream text;
    text << file.rdbuf();
    if (text.str().size() > kMaxLogFileBytes)
      return Usage("sweep report '" + path + "' is too large");
    files.push_back({path, text.str()});
  }
  Result<MergedSweep> merged = MergeSweepReports(files);
  if (!merged.ok()) return Usage(merged.status().message());
  out_ << FormatMergedSweep(*merged);
  return merged->failures.empty() ? kExitOk : kExitFailureFound;
}

int Cli::Replay() {
  const std::string& path = parsed_.positional.front();
  std::string problem;
  ChoiceLogFile log;
  if (!LoadLog(path, log, problem)) return Usage(problem);
  const Scenario* scenario = Scenarios().Find(log.scenario);
  if (scenario == nullptr) {
    return Usage(path + ": no scenario named '" + log.scenario + "' in this build");
  }
  RunSettings settings;
  if (!Settings(*scenario, settings, problem)) return Usage(problem);
  for (const auto& [key, value] : log.options) {
    if (!ApplyOption(settings.options, key, value, problem)) return Usage(path + ": " + problem);
  }
  if (parsed_.values.count("--trace") > 0 || parsed_.values.count("--html") > 0) {
    settings.options.keep_full_trace = true;
  }
  ReplayRun run = RunReplay(*scenario, log, settings);
  if (!WriteTrace(run.result) || !WriteHtml(scenario->name + " replay of " + path,
                                            settings.program + " replay " + path, run.result)) {
    return kExitUsage;
  }
  const RunResult& r = run.result;
  out_ << "replayed " << path << " (" << scenario->name;
  if (log.seed) out_ << ", seed " << *log.seed;
  out_ << "): " << OutcomeName(r.outcome) << ", trace hash " << Hex(r.trace_hash) << ", " << r.steps
       << " steps\n";
  bool reproduced = r.outcome != Outcome::kNondeterminism && run.fully_consumed;
  if (!run.fully_consumed) {
    out_ << "NONDETERMINISM: the run made fewer choices than the log records\n";
  }
  if (log.result) {
    const bool same = OutcomeName(r.outcome) == log.result->outcome &&
                      r.trace_hash == log.result->trace_hash && r.steps == log.result->steps;
    reproduced = reproduced && same;
    out_ << (same ? "reproduces" : "DIFFERS FROM") << " the logged result: " << log.result->outcome
         << ", trace hash " << Hex(log.result->trace_hash) << ", " << log.result->steps
         << " steps\n";
  }
  if (!r.ok()) out_ << r.report << "\ntrace tail:\n" << r.trace_tail;
  if (parsed_.switches.count("--expect-recorded") > 0) {
    if (!log.result) return Usage(path + " has no `result` line to compare with");
    return reproduced ? kExitOk : kExitFailureFound;
  }
  return r.ok() && reproduced ? kExitOk : kExitFailureFound;
}

int Cli::Hunt() {
  std::string problem;
  const Scenario* scenario = ScenarioFlag(problem);
  if (scenario == nullptr) return Usage(problem);
  RunSettings settings;
  if (!Settings(*scenario, settings, problem)) return Usage(problem);
  // A passing scenario with plants switched on is a hunt too (no bound, any
  // failure counts): how fast a workload finds a bug planted below it.
  const bool planted_here = settings.options.plants != scenario->options.plants;
  if (scenario->expect != Expectation::kFindsBug &&
      !(scenario->expect == Expectation::kPass && planted_here)) {
    return Usage("hunt measures planted bugs; '" + scenario->name +
                 "' is not one (give --plant SITES to hunt a plant in a passing scenario)");
  }
  const bool bounded = scenario->expect == Expectation::kFindsBug;
  uint64_t trials = 21, max_seeds = bounded ? 20 * scenario->find_within_seeds : kHuntMaxSeeds;
  if (parsed_.values.count("--trials") > 0 && !Number("--trials", trials, problem)) {
    return Usage(problem);
  }
  if (parsed_.values.count("--max-seeds") > 0 && !Number("--max-seeds", max_seeds, problem)) {
    return Usage(problem);
  }
  if (trials == 0 || trials > kMaxHuntTrials || max_seeds == 0 || max_seeds > kMaxSweepSeeds) {
    return Usage("--trials must be in [1, 10000] and --max-seeds in [1, 100000000]");
  }
  std::vector<uint64_t> found;  // seeds needed per trial; max_seeds + 1 = not found
  uint64_t wrong_outcome = 0;
  std::map<std::string, uint64_t> by_outcome;  // the trials' first failures
  for (uint64_t t = 0; t < trials; ++t) {
    // Trials use disjoint seed ranges; SplitMix64 makes neighbours unrelated.
    const uint64_t base = t << 32;
    uint64_t needed = max_seeds + 1;
    for (uint64_t i = 0; i < max_seeds; ++i) {
      SeedRun run = RunSeed(*scenario, base + i, settings, false);
      if (!run.failed()) continue;
      wrong_outcome += bounded && run.result.outcome != scenario->bug_outcome;
      ++by_outcome[std::string(OutcomeName(run.result.outcome))];
      needed = i + 1;
      break;
    }
    found.push_back(needed);
  }
  std::vector<uint64_t> sorted = found;
  std::sort(sorted.begin(), sorted.end());
  const uint64_t median = sorted[sorted.size() / 2];
  const uint64_t worst = sorted.back();
  uint64_t total = 0;
  for (uint64_t n : found) total += n;
  out_ << scenario->name;
  if (planted_here) out_ << " with plants " << settings.options.plants.ToString();
  if (settings.strategy == Strategy::kPct) {
    out_ << " (pct, depth " << settings.pct.depth << ", " << settings.pct.steps << " steps)";
  }
  out_ << ": seeds until the first failure, per trial:";
  for (uint64_t n : found) out_ << " " << (n > max_seeds ? std::string(">max") : std::to_string(n));
  out_ << "\nmedian " << median << ", mean " << (total / trials) << "."
       << (total % trials) * 10 / trials << ", max "
       << (worst > max_seeds ? ">" + std::to_string(max_seeds) : std::to_string(worst)) << " over "
       << trials << " trials; ";
  if (!bounded) {
    out_ << "first failures:";
    for (const auto& [outcome, count] : by_outcome) out_ << " " << outcome << " " << count;
    out_ << "\n";
    return worst <= max_seeds ? kExitOk : kExitFailureFound;
  }
  out_ << "bound " << scenario->find_within_seeds << ": "
       << (worst <= scenario->find_within_seeds ? "within the bound" : "BOUND EXCEEDED") << "\n";
  if (wrong_outcome > 0) {
    out_ << wrong_outcome << " trial(s) first failed with an outcome other than "
         << OutcomeName(scenario->bug_outcome) << "\n";
  }
  return worst <= scenario->find_within_seeds && wrong_outcome == 0 ? kExitOk : kExitFailureFound;
}

int Cli::ExploreCommand() {
  std::string problem;
  const Scenario* scenario = ScenarioFlag(problem);
  RunSettings settings;
  if (scenario == nullptr || !Settings(*scenario, settings, problem)) return Usage(problem);
  ExploreOptions options;
  uint64_t preemptions = options.max_preemptions;
  if (parsed_.values.count("--preemptions") > 0 && !Number("--preemptions", preemptions, problem)) {
    return Usage(problem);
  }
  if (parsed_.values.count("--budget") > 0 &&
      !Number("--budget", options.max_world_choices, problem)) {
    return Usage(problem);
  }
  if (parsed_.values.count("--max-runs") > 0 && !Number("--max-runs", options.max_runs, problem)) {
    return Usage(problem);
  }
  if (preemptions > kMaxPreemptions || options.max_runs == 0 || options.max_runs > kMaxSearchRuns) {
    return Usage("--preemptions must be in [0, " + std::to_string(kMaxPreemptions) +
                 "] and --max-runs in [1, " + std::to_string(kMaxSearchRuns) + "]");
  }
  options.max_preemptions = static_cast<uint32_t>(preemptions);
  return ExploreScenario(*scenario, settings, options, out_, err_, err_is_terminal_);
}

int Cli::ShrinkCommand() {
  ShrinkRequest request;
  request.log_path = parsed_.positional.front();
  std::string problem;
  ChoiceLogFile log;
  if (!LoadLog(request.log_path, log, problem)) return Usage(problem);
  const Scenario* scenario = Scenarios().Find(log.scenario);
  if (scenario == nullptr) {
    return Usage(request.log_path + ": no scenario named '" + log.scenario + "' in this build");
  }
  RunSettings settings;
  if (!Settings(*scenario, settings, problem)) return Usage(problem);
  for (const auto& [key, value] : log.options) {
    if (!ApplyOption(settings.options, key, value, problem)) {
      return Usage(request.log_path + ": " + problem);
    }
  }
  if (parsed_.values.count("--max-runs") > 0 &&
      !Number("--max-runs", request.options.max_runs, problem)) {
    return Usage(problem);
  }
  if (request.options.max_runs == 0 || request.options.max_runs > kMaxSearchRuns) {
    return Usage("--max-runs must be in [1, " + std::to_string(kMaxSearchRuns) + "]");
  }
  if (auto it = parsed_.values.find("--out"); it != parsed_.values.end()) {
    request.out_path = it->second;
  } else if (settings.save_logs) {
    request.out_path = DefaultShrunkPath(request.log_path);
  }
  if (auto it = parsed_.values.find("--trace"); it != parsed_.values.end()) {
    request.trace_path = it->second;
  }
  return ShrinkLog(*scenario, settings, log, request, out_, err_);
}

}  // namespace

int SimMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            const Environment& env, bool err_is_terminal) {
  std::vector<std::string> with_program = args;
  if (with_program.empty()) with_program.push_back("drpc-sim");
  return Cli(with_program, out, err, env, err_is_terminal).Main();
}

}  // namespace drpc::sim::cli
