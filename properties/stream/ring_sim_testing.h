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
// answers, then the schedule (ScriptedSource). `plants` are on for the run.
inline RunResult RunScripted(const RingProgram& program, const std::vector<uint64_t>& schedule,
                             plant::Set plants) {
  ScriptedSource source(EncodeProgram(program), schedule);
  return Run(source, RingRunOptions(plants), [] { DrawAndRun(); });
}

// What `drpc-sim run --scenario ring.fixed --seed <seed> --plant <plants>`
// runs (and `--scenario ring.<bug>.buggy` for the one plant ring.<bug>).
inline RunResult RunSeeded(uint64_t seed, plant::Set plants) {
  RandomSource source(seed);
  return Run(source, RingRunOptions(plants), [] { DrawAndRun(); });
}

// What `drpc-sim replay <file>` runs.
inline RunResult RunReplayed(const ChoiceLog& log, plant::Set plants) {
  ReplaySource source(log);
  return Run(source, RingRunOptions(plants), [] { DrawAndRun(); });
}

inline std::string SeedReplayLine(const std::string& scenario, uint64_t seed) {
  return std::string(kSimBinary) + " run --scenario " + scenario + " --seed " +
         std::to_string(seed);
}

inline std::string LogReplayLine(const std::string& path) {
  return std::string(kSimBinary) + " replay " + path;
}

}  // namespace drpc::sim::ring::testing
