// drpc-sim, the simulator's command line, as a function so tests can drive
// it in-process. main.cc is a one-line wrapper.
//
//   drpc-sim list
//   drpc-sim run    --scenario NAME --seed S [--trace FILE] [--check-determinism]
//   drpc-sim sweep  (--scenario NAME | --all-fixed) --seeds N [--from S] [--check-determinism]
//                   [--jsonl FILE]   (a JSON line per failing seed, then a summary: jsonl.h)
//                   [--shard I/N]    (the seeds whose offset is I mod N: shard.h)
//   drpc-sim merge  FILE...          (one report from all shards' --jsonl files: merge.h)
//   drpc-sim replay FILE [--trace FILE] [--expect-recorded]
//   drpc-sim check  --scenario NAME --seed S          (determinism self-check)
//   drpc-sim hunt   --scenario NAME [--trials T] [--max-seeds N]
//   drpc-sim explore --scenario NAME [--preemptions P] [--budget B] [--max-runs N]
//   drpc-sim shrink FILE [--out FILE] [--max-runs N] [--trace FILE]
// run, sweep, check and hunt take [--strategy random|pct|pct:D] [--pct-depth D]
// [--pct-steps K]: what seed S means (the seeded random scheduler, or PCT).
// sweep also takes a comma-separated mix (--strategy random,pct:3, or mix
// for scripts/sim's own): seed S runs under entry S mod n (strategy_mix.h).
// run, sweep, check, hunt and explore take [--plant SITE,...]: planted bugs
// (drpc/base/plant.h) switched on in addition to the scenario's own; replay
// and shrink take them from the log. hunt accepts a passing scenario when
// given plants:
//   drpc-sim hunt --scenario manager.fixed --plant ring.double-done --trials 101
//
// Exit status: 0 ok, 1 a failure was found (or a replay did not reproduce,
// or a log given to shrink does not fail), 2 bad arguments or input.
#pragma once

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace drpc::sim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailureFound = 1;
inline constexpr int kExitUsage = 2;

// Looks up an environment variable (nullptr if unset); main passes getenv.
using Environment = std::function<const char*(const char*)>;

// args[0] is the program as invoked (it starts every replay line). When
// `err_is_terminal`, sweep progress is one line redrawn in place (\r);
// otherwise a plain line every tenth of the sweep. Both go to `err`.
int SimMain(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
            const Environment& env, bool err_is_terminal = false);

}  // namespace drpc::sim::cli
