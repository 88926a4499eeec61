// A gtest parameter name for a scenario name ("manager.leak-x.buggy" ->
// "manager_leak_x_buggy"): gtest allows only letters, digits and '_'.
#pragma once

#include <string>

namespace drpc::sim {

inline std::string ScenarioParamName(std::string scenario) {
  for (char& c : scenario) {
    if (c == '.' || c == '-') c = '_';
  }
  return scenario;
}

}  // namespace drpc::sim
