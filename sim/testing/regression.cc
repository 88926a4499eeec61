#include "sim/testing/regression.h"

#include <fstream>
#include <sstream>

#include "sim/testing/scenario_runs.h"

namespace drpc::sim::testing {
namespace {

constexpr std::string_view kHeader = "drpc-sim regression v1";

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

bool ParseNumber(const std::string& text, uint64_t& out) {
  return cli::ParseCount(text, 0, UINT64_MAX, out);
}

std::optional<Outcome> ParseOutcome(const std::string& text, std::string& error) {
  std::optional<Outcome> outcome = OutcomeFromName(text);
  if (!outcome) error = "unknown outcome '" + text + "' (ok, deadlock, invariant_failed, ...)";
  return outcome;
}

// The settings drpc-sim would run the entry's seed with, plants and faults
// included.
cli::RunSettings SettingsOf(const Scenario& scenario, const RegressionEntry& entry,
                            plant::Set plants) {
  cli::RunSettings settings = SettingsFor(scenario);
  settings.strategy = entry.strategy.kind;
  settings.pct = entry.strategy.pct;
  settings.options.plants = plants;
  if (entry.faults) settings.options.faults = *entry.faults;
  if (entry.swarm) settings.options.swarm = true;
  return settings;
}

// The drpc-sim flags that give a run the entry's faults ("" for none).
std::string FaultFlags(const RegressionEntry& entry) {
  std::string flags;
  if (entry.faults) {
    flags += " --faults " + (entry.faults->empty() ? "none" : entry.faults->ToString());
  }
  if (entry.swarm) flags += " --swarm";
  return flags;
}

// The command line that reruns the seed. The plant flag is added here only
// if drpc-sim's own replay line does not already carry it.
std::string RerunLine(const Scenario& scenario, uint64_t seed, const cli::RunSettings& settings) {
  std::string line = cli::ReplayLine(scenario, seed, settings);
  if (!settings.options.plants.empty() && line.find("--plant") == std::string::npos) {
    line += " --plant " + settings.options.plants.ToString();
  }
  return line;
}

std::string Heading(const RegressionEntry& entry) {
  return entry.path + ": " + entry.scenario + " seed " + std::to_string(entry.seed) + " (" +
         entry.strategy.ToString() + FaultFlags(entry) + "), guarding: " + entry.guards;
}

}  // namespace

std::string SeedStrategy::ToString() const {
  if (kind == cli::Strategy::kRandom) return "random";
  return "pct depth " + std::to_string(pct.depth) + " steps " + std::to_string(pct.steps);
}

std::string SeedStrategy::Flags() const {
  if (kind == cli::Strategy::kRandom) return "";
  return " --strategy pct --pct-depth " + std::to_string(pct.depth) + " --pct-steps " +
         std::to_string(pct.steps);
}

bool ParseStrategy(const std::vector<std::string>& words, SeedStrategy& out, std::string& error) {
  if (words.size() == 1 && words[0] == "random") {
    out = SeedStrategy{};
    return true;
  }
  uint64_t depth = 0, steps = 0;
  if (words.size() == 5 && words[0] == "pct" && words[1] == "depth" && words[3] == "steps" &&
      cli::ParseCount(words[2], 1, kMaxPctDepth, depth) &&
      cli::ParseCount(words[4], 1, UINT64_MAX, steps)) {
    out = SeedStrategy{};
    out.kind = cli::Strategy::kPct;
    out.pct.depth = static_cast<uint32_t>(depth);
    out.pct.steps = steps;
    return true;
  }
  error =
      "a strategy is 'random' or 'pct depth D steps K' (1 <= D <= " + std::to_string(kMaxPctDepth) +
      ", K >= 1)";
  return false;
}

std::optional<RegressionEntry> ParseRegressionEntry(std::string_view text, std::string& error) {
  RegressionEntry entry;
  bool header = false, has_scenario = false, has_strategy = false, has_seed = false,
       has_expect = false, has_plant_outcome = false;
  std::istringstream in{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    const auto fail = [&](const std::string& why) {
      error = "line " + std::to_string(number) + ": " + why;
      return std::nullopt;
    };
    if (line.empty()) continue;
    if (line[0] == '#') {
      entry.caught += line.substr(line.size() > 1 && line[1] == ' ' ? 2 : 1) + "\n";
      continue;
    }
    if (!header) {
      if (line != kHeader) return fail("expected '" + std::string(kHeader) + "'");
      header = true;
      continue;
    }
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
    const std::vector<std::string> words = Words(rest);
    if (words.empty()) return fail("'" + key + "' needs a value");
    if (key == "scenario" && words.size() == 1) {
      entry.scenario = words[0];
      has_scenario = true;
    } else if (key == "strategy") {
      if (!ParseStrategy(words, entry.strategy, error)) return fail(error);
      has_strategy = true;
    } else if (key == "faults") {
      if (entry.faults) return fail("a second 'faults' line");
      if (words.size() != 1) {
        return fail("'faults' takes one comma-separated list without spaces, as --faults does");
      }
      std::string why;
      entry.faults = FaultConfig::Parse(words[0], why);
      if (!entry.faults) {
        return fail("'faults' is drpc-sim's --faults list (NAME[:N],... or all[:N] or none): " +
                    why);
      }
    } else if (key == "swarm") {
      if (words.size() != 1 || words[0] != "on") return fail("'swarm' takes the value 'on'");
      if (entry.swarm) return fail("a second 'swarm' line");
      entry.swarm = true;
    } else if (key == "seed" && words.size() == 1) {
      if (!ParseNumber(words[0], entry.seed)) return fail("a seed is a whole number");
      has_seed = true;
    } else if (key == "expect" && words.size() == 1) {
      std::optional<Outcome> outcome = ParseOutcome(words[0], error);
      if (!outcome) return fail(error);
      entry.expect = *outcome;
      has_expect = true;
    } else if (key == "guards") {
      entry.guards = rest;
    } else if (key == "plant" && words.size() == 1) {
      entry.plant = plant::FromName(words[0]);
      if (!entry.plant) return fail("unknown plant site '" + words[0] + "'");
    } else if (key == "plant-outcome" && words.size() == 1) {
      std::optional<Outcome> outcome = ParseOutcome(words[0], error);
      if (!outcome) return fail(error);
      entry.plant_outcome = *outcome;
      has_plant_outcome = true;
    } else if (key == "plant-report") {
      entry.plant_report = rest;
    } else {
      return fail("unknown or malformed line '" + line + "'");
    }
  }
  const auto missing = [&](const std::string& what) {
    error = "missing " + what;
    return std::nullopt;
  };
  if (!header) return missing("the '" + std::string(kHeader) + "' line");
  if (entry.caught.empty()) return missing("the '#' comment saying what it caught");
  if (!has_scenario) return missing("'scenario'");
  if (!has_strategy) return missing("'strategy'");
  if (!has_seed) return missing("'seed'");
  if (!has_expect) return missing("'expect'");
  if (entry.guards.empty()) return missing("'guards' (the invariant it guards)");
  if (entry.plant) {
    if (!has_plant_outcome || entry.plant_report.empty()) {
      return missing("'plant-outcome' and 'plant-report' (the failure the plant must produce)");
    }
    if (entry.plant_outcome == entry.expect) {
      error = "'plant-outcome' must differ from 'expect': the plant must make the run fail";
      return std::nullopt;
    }
  } else if (has_plant_outcome || !entry.plant_report.empty()) {
    return missing("'plant' (plant-outcome and plant-report describe its failure)");
  }
  return entry;
}

std::optional<RegressionEntry> LoadRegressionEntry(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = path + ": cannot read";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  std::optional<RegressionEntry> entry = ParseRegressionEntry(text.str(), error);
  if (!entry) {
    error = path + ": " + error;
    return std::nullopt;
  }
  entry->path = path;
  return entry;
}

RegressionVerdict CheckRegression(const RegressionEntry& entry) {
  RegressionVerdict verdict;
  const Scenario* scenario = Scenarios().Find(entry.scenario);
  if (scenario == nullptr) {
    verdict.message = entry.path + ": no scenario '" + entry.scenario + "' (drpc-sim list)";
    return verdict;
  }
  std::ostringstream out;
  out << Heading(entry) << "\n";

  const cli::RunSettings clean = SettingsOf(*scenario, entry, {});
  const RunResult r = cli::RunSeed(*scenario, entry.seed, clean, false).result;
  out << "  without plants: " << OutcomeName(r.outcome) << ", " << r.steps << " steps\n";
  if (r.outcome != entry.expect || (r.ok() && !r.report.empty())) {
    out << "FAILED: expected " << OutcomeName(entry.expect) << "\n"
        << r.report << "\ntrace tail:\n"
        << r.trace_tail << "replay: " << RerunLine(*scenario, entry.seed, clean) << "\n";
    verdict.message = out.str();
    return verdict;
  }

  if (!entry.plant) {
    verdict.holds = true;
    verdict.message = out.str();
    return verdict;
  }
  const std::string plant_name(plant::Name(*entry.plant));
  if (!DRPC_CHECKED) {
    out << "  plant " << plant_name << ": not checked (an unchecked build has no plants)\n";
    verdict.holds = true;
    verdict.message = out.str();
    return verdict;
  }
  const cli::RunSettings planted = SettingsOf(*scenario, entry, {*entry.plant});
  const RunResult p = cli::RunSeed(*scenario, entry.seed, planted, false).result;
  out << "  with plant " << plant_name << ": " << OutcomeName(p.outcome) << ", " << p.steps
      << " steps\n";
  if (p.outcome == entry.plant_outcome && p.report.find(entry.plant_report) != std::string::npos) {
    verdict.holds = true;
    verdict.message = out.str();
    return verdict;
  }
  out << "FAILED: the regression no longer reproduces the interleaving that once failed.\n"
      << "With plant " << plant_name << " on, this seed must end "
      << OutcomeName(entry.plant_outcome) << " with \"" << entry.plant_report
      << "\" in its report; it ended " << OutcomeName(p.outcome)
      << (p.report.empty() ? "" : " with:\n" + p.report) << "\n"
      << (p.trace_hash == r.trace_hash
              ? "The plant made no difference to this run (the same trace): this schedule never "
                "reaches its site, or the site is not in the code.\n"
              : "A change to the code or the scheduler moved this seed's schedule away from the "
                "bug.\n")
      << "Find a seed that fails with the plant (then check it passes without it) and put it in "
      << "the entry:\n"
      << "  drpc-sim sweep --scenario " << entry.scenario << entry.strategy.Flags()
      << FaultFlags(entry) << " --plant " << plant_name << " --seeds 100000\n"
      << "(the first failing seed's report names its outcome; it must be "
      << OutcomeName(entry.plant_outcome) << ").\n"
      << "rerun: " << RerunLine(*scenario, entry.seed, planted) << "\n";
  verdict.message = out.str();
  return verdict;
}

}  // namespace drpc::sim::testing
