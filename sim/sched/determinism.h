// The determinism self-check: run the same decisions twice and compare.
//
// A simulated run must be a pure function of its choices. Code that reads a
// clock, an address, an unordered container's order or a global left over
// from an earlier run breaks that, and then no failure replays. This check
// runs twice with fresh, identically configured decision sources, keeping
// full traces, and names the first event where the two runs differ.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "drpc/base/function_ref.h"
#include "sim/sched/decision.h"
#include "sim/sched/run.h"

namespace drpc::sim {

struct DeterminismReport {
  bool deterministic = true;
  RunResult first;
  RunResult second;
  // When not deterministic: the first differing event (index into the
  // traces, its step in the first run) and both events as text.
  uint64_t event_index = 0;
  uint64_t step = 0;
  std::string first_event;
  std::string second_event;
  // One paragraph for a person: what differs and where.
  std::string summary;
};

DeterminismReport CheckDeterminism(FunctionRef<std::unique_ptr<DecisionSource>()> make_source,
                                   RunOptions options, FunctionRef<void()> main);

}  // namespace drpc::sim
