#include "sim/testing/cli_checks.h"

#include <sstream>

#include "sim/cli/cli.h"
#include "sim/testing/run_checks.h"

namespace drpc::sim::testing {
namespace {

CliRun RunArgv(std::vector<std::string> argv) {
  argv.push_back("--no-save-log");
  std::ostringstream out, err;
  CliRun run;
  run.exit_status =
      cli::SimMain(argv, out, err, [](const char*) -> const char* { return nullptr; });
  run.printed = out.str() + err.str();
  return run;
}

}  // namespace

CliRun RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "drpc-sim");
  return RunArgv(std::move(args));
}

CliOutput RunCliStreams(std::vector<std::string> args,
                        const std::map<std::string, std::string>& env, bool err_is_terminal) {
  args.insert(args.begin(), "drpc-sim");
  std::ostringstream out, err;
  const int rc = cli::SimMain(
      args, out, err,
      [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
      },
      err_is_terminal);
  return CliOutput{rc, out.str(), err.str()};
}

CliRun RunReplayLine(const std::string& line) {
  std::vector<std::string> argv;
  std::istringstream words(line);
  for (std::string word; words >> word;) argv.push_back(word);
  return RunArgv(std::move(argv));
}

::testing::AssertionResult Reproduces(const CliRun& run, int exit_status,
                                      const RunResult& failure) {
  const std::string outcome(OutcomeName(failure.outcome));
  const std::string hash = "trace hash " + Hex(failure.trace_hash);
  if (run.exit_status != exit_status) {
    return ::testing::AssertionFailure() << "drpc-sim exited with " << run.exit_status
                                         << ", expected " << exit_status << "; it printed:\n"
                                         << run.printed;
  }
  if (run.printed.find(outcome) == std::string::npos ||
      run.printed.find(hash) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "drpc-sim did not print \"" << outcome << "\" and \"" << hash << "\"; it printed:\n"
           << run.printed;
  }
  return ::testing::AssertionSuccess();
}

}  // namespace drpc::sim::testing
