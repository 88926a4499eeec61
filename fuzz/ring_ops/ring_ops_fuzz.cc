// Fuzz target: the input bytes are the decisions of one simulated ring run
// (sim::BytesDecisionSource). The first ones are read as the ring program (capacity,
// byte budget, the producer's messages, the consumer's steps, the closer,
// ring_program.h), the rest as scheduler choices; running out means
// "cooperative from here on". Every §3.6 invariant is checked as in property
// 2 (ring_harness.h): the ledger's conservation at every scheduling point,
// message contents, FIFO prefix, drain after close, first error wins,
// Enqueue after Close, no deadlock, every buffer back at the end.
//
// A failing input prints the simulator's report, its trace tail and the
// run's choice log (save it to a file: `drpc-sim replay FILE` reruns it),
// then aborts so libFuzzer keeps the input.
//
// RING_OPS_PLANT=<plants> (drpc/base/plant.h, e.g. ring.double-done) fuzzes
// the ring with those plants on, to see the fuzzer find them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>

#include "drpc/base/plant.h"
#include "sim/scenarios/ring/ring_harness.h"
#include "sim/sched/choice_log.h"
#include "sim/sched/input_source.h"
#include "sim/sched/run.h"

namespace {

drpc::plant::Set g_plants;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  if (const char* names = std::getenv("RING_OPS_PLANT")) {
    std::string error;
    std::optional<drpc::plant::Set> plants = drpc::plant::Set::Parse(names, error);
    if (!plants) {
      std::fprintf(stderr, "RING_OPS_PLANT=%s: %s\n", names, error.c_str());
      std::exit(2);
    }
    g_plants = *plants;
    std::fprintf(stderr, "ring_ops: fuzzing with the plants %s\n", g_plants.ToString().c_str());
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace drpc::sim;  // NOLINT: a fuzz driver
  BytesDecisionSource source(std::span<const uint8_t>(data, size));
  const RunResult result = Run(source, ring::RingRunOptions(g_plants), [] { ring::DrawAndRun(); });
  if (result.ok()) return 0;
  ChoiceLogFile log;
  log.scenario = ring::kFixedScenario;
  if (!g_plants.empty()) log.options.emplace_back("plants", g_plants.ToString());
  log.result =
      RecordedResult{std::string(OutcomeName(result.outcome)), result.steps, result.trace_hash};
  log.choices = result.choice_log;
  std::fprintf(stderr, "ring_ops: %s\n%s\n%s\n--- choice log (drpc-sim replay FILE) ---\n%s",
               std::string(OutcomeName(result.outcome)).c_str(), result.report.c_str(),
               result.trace_tail.c_str(), FormatChoiceLog(log).c_str());
  std::abort();
}
