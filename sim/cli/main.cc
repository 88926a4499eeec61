#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"
#include "sim/cli/program_path.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  // args[0] starts every replay line: make it a path that works from the
  // repository root, whatever directory this process was started in.
  const std::string invoked = args.empty() ? std::string("drpc-sim") : args[0];
  const std::string program = drpc::sim::cli::ProgramForReplay(DRPC_SIM_REPO_ROOT, invoked);
  if (args.empty()) {
    args.push_back(program);
  } else {
    args[0] = program;
  }
  return drpc::sim::cli::SimMain(
      args, std::cout, std::cerr, [](const char* name) { return std::getenv(name); },
      isatty(STDERR_FILENO) == 1);
}
