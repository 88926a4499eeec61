// Shared by the simulator-driven ring properties, the sweep and the
// planted-bug tests: running a ring program the three ways a failure can be
// found (RapidCheck's program and schedule, a seed, a choice log) and the
// replay lines that rerun it (saving a choice log: sim/testing/run_checks.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/scenarios/ring/ring_harness.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/random_source.h"
#include "sim/sched/replay_source.h"
#include "sim/sched/run.h"

namespace drpc::sim::ring::testing {

#ifdef DRPC_SIM_BINARY
inline constexpr const char* kSimBinary = DRPC_SIM_BINARY;
#else
inline constexpr const char* kSimBinary = "drpc-sim";
#endif

// A RapidCheck-generated program and schedule: the program's workload
// answers, then the schedule (ScriptedSource).
inline RunResult RunScripted(const RingProgram& program, const std::vector<uint64_t>& schedule,
                             RingBug bug) {
  ScriptedSource source(EncodeProgram(program), schedule);
  return Run(source, RingRunOptions(), [bug] { DrawAndRun(bug); });
}

// What `drpc-sim run --scenario <ScenarioName(bug)> --seed <seed>` runs.
inline RunResult RunSeeded(uint64_t seed, RingBug bug) {
  RandomSource source(seed);
  return Run(source, RingRunOptions(), [bug] { DrawAndRun(bug); });
}

// What `drpc-sim replay <file>` runs.
inline RunResult RunReplayed(const ChoiceLog& log, RingBug bug) {
  ReplaySource source(log);
  return Run(source, RingRunOptions(), [bug] { DrawAndRun(bug); });
}

inline std::string SeedReplayLine(RingBug bug, uint64_t seed) {
  return std::string(kSimBinary) + " run --scenario " + ScenarioName(bug) + " --seed " +
         std::to_string(seed);
}

inline std::string LogReplayLine(const std::string& path) {
  return std::string(kSimBinary) + " replay " + path;
}

}  // namespace drpc::sim::ring::testing
