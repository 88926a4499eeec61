// Fuzz target: the input bytes are every decision of one whole-stack
// simulated run (sim::BytesDecisionSource): the manager.fixed scenario, a client and
// a server manager over the simulated pipe with a workload drawn from the
// same bytes (sim/scenarios/manager/manager_harness.h lists its checks:
// the buffer ledger at every step, every call returns, every stream
// finishes, received messages are a prefix of those sent, every buffer back
// in its pool). Running out of bytes means random choices seeded with a
// hash of the input from there on (random_tail_source.h), so every input is
// a whole run; MANAGER_SIM_TAIL=zero gives the old rule (the cooperative
// default from there on: short inputs are simple runs).
//
// A run that does not end ok (a failed check, a deadlock, a livelock, an
// exception) prints the report, the trace tail and the run's choice log
// (save it to a file: `drpc-sim replay FILE` reruns it, `drpc-sim shrink
// FILE` minimizes it), then aborts so libFuzzer keeps the input.
//
// MANAGER_SIM_SCENARIO=<name> fuzzes another manager scenario instead
// (e.g. manager.drop-interleaved-frame.buggy, to watch the fuzzer find a
// planted bug).
//
// Besides code coverage, libFuzzer gets one feature per interleaving pair
// of op sites (interleaving_features.h); MANAGER_SIM_FEATURES=0 turns them
// off, to measure what they add (docs/fuzzing.md).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fuzz/manager_sim/interleaving_features.h"
#include "fuzz/manager_sim/random_tail_source.h"
#include "sim/scenarios/scenario.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/input_source.h"
#include "sim/sched/run.h"
#include "sim/sched/step_observer.h"

namespace {

const drpc::sim::Scenario* g_scenario = nullptr;
bool g_features = true;
bool g_random_tail = true;
drpc::fuzz::InterleavingFeatures g_interleavings;
uint64_t g_executions = 0;  // reported with a failure: executions to find it

}  // namespace

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
// libFuzzer's entropic schedule keeps per-feature frequencies; with the
// interleaving features a run has thousands of features and that
// bookkeeping took two thirds of each execution (perf, docs/fuzzing.md).
// So -entropic=0 unless the command line says otherwise (flags later on the
// line win). libFuzzer parses its flags after this function returns.
void DefaultToPlainSchedule(int* argc, char*** argv) {
  static std::vector<char*> args;
  static char plain[] = "-entropic=0";
  args.assign(*argv, *argv + *argc);
  args.insert(args.begin() + 1, plain);
  args.push_back(nullptr);
  *argc += 1;
  *argv = args.data();
}
#endif

extern "C" int LLVMFuzzerInitialize([[maybe_unused]] int* argc, [[maybe_unused]] char*** argv) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if (*argc >= 1) DefaultToPlainSchedule(argc, argv);
#endif
  std::string name = "manager.fixed";
  if (const char* chosen = std::getenv("MANAGER_SIM_SCENARIO")) name = chosen;
  g_scenario = drpc::sim::Scenarios().Find(name);
  if (g_scenario == nullptr || name.rfind("manager.", 0) != 0) {
    std::fprintf(stderr, "MANAGER_SIM_SCENARIO=%s: no such manager scenario\n", name.c_str());
    std::exit(2);
  }
  if (const char* tail = std::getenv("MANAGER_SIM_TAIL"))
    g_random_tail = std::string(tail) != "zero";
  if (const char* features = std::getenv("MANAGER_SIM_FEATURES")) {
    g_features = std::string(features) != "0";
  }
  if (name != "manager.fixed") std::fprintf(stderr, "manager_sim: fuzzing %s\n", name.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace drpc::sim;  // NOLINT: a fuzz driver
  ++g_executions;
  const std::span<const uint8_t> input(data, size);
  BytesDecisionSource zero_tail(input);
  drpc::fuzz::RandomTailSource random_tail(input);
  DecisionSource& source = g_random_tail ? static_cast<DecisionSource&>(random_tail)
                                         : static_cast<DecisionSource&>(zero_tail);
  g_interleavings.Reset();
  std::optional<ScopedStepObserver> observing;
  if (g_features) observing.emplace(g_interleavings);
  const RunResult result = Run(source, g_scenario->options, g_scenario->body);
  if (result.ok()) return 0;
  ChoiceLogFile log;
  log.scenario = g_scenario->name;
  log.result =
      RecordedResult{std::string(OutcomeName(result.outcome)), result.steps, result.trace_hash};
  log.choices = result.choice_log;
  std::fprintf(stderr,
               "manager_sim: %s: %s at execution %llu\n%s\n%s\n--- choice log (drpc-sim replay "
               "FILE, drpc-sim shrink FILE) ---\n%s",
               g_scenario->name.c_str(), std::string(OutcomeName(result.outcome)).c_str(),
               static_cast<unsigned long long>(g_executions), result.report.c_str(),
               result.trace_tail.c_str(), FormatChoiceLog(log).c_str());
  std::abort();
}
