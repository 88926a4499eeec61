// sim_regression FILE...: checks regression corpus entries
// (corpus/sim/*.regression; sim/testing/regression.h). ctest runs it once
// per entry (drpc_regression_tests in cmake/drpc_targets.cmake).
//
// Exit status: 0 every entry holds, 1 one does not, 2 an entry is malformed.
#include <iostream>
#include <string>

#include "sim/testing/regression.h"

int main(int argc, char** argv) {
  using drpc::sim::testing::CheckRegression;
  using drpc::sim::testing::LoadRegressionEntry;
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " FILE.regression...\n";
    return 2;
  }
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::string error;
    const auto entry = LoadRegressionEntry(argv[i], error);
    if (!entry) {
      std::cerr << error << "\n";
      return 2;
    }
    const auto verdict = CheckRegression(*entry);
    (verdict.holds ? std::cout : std::cerr) << verdict.message;
    if (!verdict.holds) status = 1;
  }
  return status;
}
