// Writes the seed corpus of the ring_ops fuzz target: for seeds 1..N, the
// choices the seeded scenario ring.fixed makes, as the bytes sim::BytesDecisionSource
// reads back into exactly those choices (ring::ChoicesAsBytes). Regenerate
// when the ring's scheduling points change, so the files stay seeded runs.
//
//   ring_ops_make_corpus corpus/ring_ops 40
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "sim/scenarios/ring/ring_harness.h"
#include "sim/sched/random_source.h"
#include "sim/sched/run.h"

int main(int argc, char** argv) {
  using namespace drpc::sim;  // NOLINT: a tool
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR COUNT\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int count = std::atoi(argv[2]);
  for (int seed = 1; seed <= count; ++seed) {
    RandomSource source(static_cast<uint64_t>(seed));
    const RunResult result = Run(source, ring::RingRunOptions(), [] { ring::DrawAndRun(); });
    if (!result.ok()) {
      std::fprintf(stderr, "seed %d fails: %s\n", seed, result.report.c_str());
      return 1;
    }
    const std::vector<uint8_t> bytes = ring::ChoicesAsBytes(result.choice_log);
    char name[64];
    std::snprintf(name, sizeof(name), "/seed_%03d", seed);
    std::ofstream(dir + name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
  }
  return 0;
}
