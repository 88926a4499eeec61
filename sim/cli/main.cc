#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return drpc::sim::cli::SimMain(
      args, std::cout, std::cerr, [](const char* name) { return std::getenv(name); },
      isatty(STDERR_FILENO) == 1);
}
