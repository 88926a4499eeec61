#include "sim/cli/search.h"

#include <fstream>

#include "sim/cli/cli.h"
#include "sim/sched/replay_source.h"
#include "sim/sched/trace.h"

namespace drpc::sim::cli {
namespace {

std::string Plural(uint64_t count, const std::string& what) {
  return std::to_string(count) + " " + what + (count == 1 ? "" : "s");
}

std::string Bounds(const ExploreOptions& options) {
  return "at most " + Plural(options.max_preemptions, "preemption") + " and " +
         std::to_string(options.max_world_choices) + " non-default world choice" +
         (options.max_world_choices == 1 ? "" : "s") + " per run";
}

std::string Size(const ChoiceLogSize& size) {
  return Plural(size.choices, "choice") + " (" + std::to_string(size.significant) +
         " up to the last non-zero), " + std::to_string(size.nonzero) + " non-zero, " +
         Plural(size.preemptions, "preemption") + ", " + Plural(size.steps, "step");
}

std::string RunLine(const RunResult& r) {
  return "trace hash " + Hex(r.trace_hash) + ", " + std::to_string(r.steps) + " steps, " +
         std::to_string(r.choice_log.size()) + " choices, virtual time " + FormatTime(r.end_time);
}

ChoiceLogFile LogOf(const Scenario& scenario, const RunSettings& settings, const RunResult& r) {
  ChoiceLogFile log;
  log.scenario = scenario.name;
  log.options = OptionPairs(settings.options);
  log.result = RecordedResult{std::string(OutcomeName(r.outcome)), r.steps, r.trace_hash};
  log.choices = r.choice_log;
  return log;
}

}  // namespace

int ExploreScenario(const Scenario& scenario, const RunSettings& settings,
                    const ExploreOptions& options, std::ostream& out, std::ostream& err,
                    bool err_is_terminal) {
  out << "explore " << scenario.name << ": every run with " << Bounds(options) << ", up to "
      << options.max_runs << " runs\n";
  ExploreOptions with_progress = options;
  with_progress.progress_every = err_is_terminal ? 1000 : 25'000;
  with_progress.progress = [&](uint64_t runs) {
    err << (err_is_terminal ? "\r" : "") << "explore " << scenario.name << ": " << runs << " runs"
        << (err_is_terminal ? "" : "\n") << std::flush;
  };
  const ExploreResult r = Explore(with_progress, [&](DecisionSource& decisions) {
    return Run(decisions, settings.options, scenario.body);
  });
  if (err_is_terminal && r.runs >= with_progress.progress_every) err << "\n";
  if (!r.failure) {
    if (r.exhausted) {
      out << scenario.name << ": exhausted after " << Plural(r.runs, "run") << ": every run with "
          << Bounds(options) << " passes (longest run: " << r.longest_run_choices << " choices)\n";
    } else {
      out << scenario.name << ": stopped at --max-runs " << options.max_runs
          << " with no failure; the runs within the bounds are NOT exhausted (longest run: "
          << r.longest_run_choices << " choices)\n";
    }
    return kExitOk;
  }
  const RunResult& failure = *r.failure;
  out << "FAIL " << scenario.name << " after " << Plural(r.runs, "run") << " (explore, "
      << Plural(r.failure_preemptions, "preemption") << "): " << OutcomeName(failure.outcome)
      << "\n"
      << failure.report << "\n";
  std::string saved;
  if (settings.save_logs) {
    std::string error;
    const std::string path =
        LogPath(settings, scenario.name + ".explore-p" + std::to_string(options.max_preemptions) +
                              ".choices");
    if (WriteLog(LogOf(scenario, settings, failure), path, error)) {
      saved = path;
    } else {
      err << "drpc-sim: " << error << "\n";
    }
  }
  if (saved.empty()) {
    out << "replay: not available (no choice log saved)\n";
  } else {
    out << "replay: " << settings.program << " replay " << saved << "\n"
        << "choice log: " << saved << "\n"
        << "shrink: " << settings.program << " shrink " << saved << "\n";
  }
  out << "options: " << settings.options.ToString() << "\n" << RunLine(failure) << "\n";
  if (!failure.trace_tail.empty()) {
    out << "trace tail (last " << settings.options.trace_tail_events << " events):\n"
        << failure.trace_tail;
  }
  return kExitFailureFound;
}

std::string DefaultShrunkPath(const std::string& log_path) {
  const std::string suffix = ".choices";
  if (log_path.size() > suffix.size() &&
      log_path.compare(log_path.size() - suffix.size(), suffix.size(), suffix) == 0) {
    return log_path.substr(0, log_path.size() - suffix.size()) + ".shrunk.choices";
  }
  return log_path + ".shrunk.choices";
}

int ShrinkLog(const Scenario& scenario, const RunSettings& settings, const ChoiceLogFile& log,
              const ShrinkRequest& request, std::ostream& out, std::ostream& err) {
  auto run_with = [&](DecisionSource& decisions) {
    return Run(decisions, settings.options, scenario.body);
  };
  const ShrinkResult s = Shrink(log.choices, request.options, run_with);
  if (!s.reproduced) {
    out << "shrink: " << request.log_path << " (" << scenario.name
        << ") does not fail when rerun: " << OutcomeName(s.original.outcome) << ", "
        << RunLine(s.original) << "; nothing to shrink\n";
    return kExitFailureFound;
  }
  out << "shrinking " << request.log_path << " (" << scenario.name
      << "): " << s.signature.ToString() << "\n";
  if (log.result && log.result->outcome != OutcomeName(s.original.outcome)) {
    out << "note: the log records " << log.result->outcome << "; this build's rerun of it fails "
        << OutcomeName(s.original.outcome) << ", and that is what is kept\n";
  }
  out << "before: " << Size(s.before) << "\n"
      << "after:  " << Size(s.after) << "\n"
      << "runs: " << s.runs << " (bound " << request.options.max_runs << "; "
      << (s.hit_run_bound ? "stopped at the bound" : "no further cut fails the same way") << ")\n";

  // The shrunk log must replay strictly, like any saved log: check it.
  RunOptions replay_options = settings.options;
  replay_options.keep_full_trace = !request.trace_path.empty();
  ReplaySource replay(s.shrunk.choice_log);
  const RunResult again = Run(replay, replay_options, scenario.body);
  if (again.trace_hash != s.shrunk.trace_hash || !replay.fully_consumed()) {
    err << "drpc-sim: the shrunk log does not replay to the shrunk run (" << RunLine(again)
        << " vs " << RunLine(s.shrunk) << "): a bug in the shrinker or a nondeterministic "
        << "scenario\n";
    return kExitUsage;
  }
  if (!request.out_path.empty()) {
    std::string error;
    if (!WriteLog(LogOf(scenario, settings, s.shrunk), request.out_path, error)) {
      err << "drpc-sim: " << error << "\n";
      return kExitUsage;
    }
    out << "shrunk log: " << request.out_path << "\n"
        << "replay: " << settings.program << " replay " << request.out_path << "\n";
  }
  if (!request.trace_path.empty()) {
    std::ofstream file(request.trace_path, std::ios::binary | std::ios::trunc);
    file << again.full_trace;
    file.close();
    if (!file) {
      err << "drpc-sim: could not write the trace to " << request.trace_path << "\n";
      return kExitUsage;
    }
    out << "full trace of the shrunk run written to " << request.trace_path << "\n";
  }
  out << s.shrunk.report << "\n" << RunLine(s.shrunk) << "\n";
  if (!s.shrunk.trace_tail.empty()) {
    out << "trace tail (last " << settings.options.trace_tail_events << " events):\n"
        << s.shrunk.trace_tail;
  }
  return kExitOk;
}

}  // namespace drpc::sim::cli
