#!/usr/bin/env bash
# Issue 15's send-path figures, before and after, in ONE run on one machine:
# bench_rpc's streaming and unary benchmarks from two builds, alternated
# round by round (so load on the shared machine hits both alike), then the
# median over rounds of msg/s (calls/s) and of the process CPU time per
# message for each: bench_rpc's CPU is the process's (both ends of the
# connection); bench_rpc_split's is each end's, the server in its own
# process (server_cpu, client_cpu).
#
#   bench/rpc/compare_send.sh BEFORE_BINARY AFTER_BINARY [ROUNDS]
#   bench/rpc/compare_send.sh /work/old/build/release/bench/rpc/bench_rpc \
#       build/release/bench/rpc/bench_rpc 5
#   FILTER=. bench/rpc/compare_send.sh OLD/bench_rpc_split NEW/bench_rpc_split 5
set -euo pipefail
before=$1
after=$2
rounds=${3:-5}
filter=${FILTER:-'BM_Stream/|BM_Unary/'}
out=$(mktemp -d)
for round in $(seq 1 "$rounds"); do
  for which in before after; do
    binary=$before
    [[ $which == after ]] && binary=$after
    "$binary" --benchmark_filter="$filter" --benchmark_min_time=0.3 \
      --benchmark_out="$out/$which.$round.json" --benchmark_out_format=json >/dev/null 2>&1
  done
done
python3 - "$out" "$rounds" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
# Each row: the rate, then every cost counter the binary reports.
costs = ("cpu_us_per_msg", "cpu_us_per_call", "server_cpu_us_per_msg",
         "client_cpu_us_per_msg", "allocs_per_msg", "allocs_per_call")
rows = {}
for which in ("before", "after"):
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{out}/{which}.{r}.json"))["benchmarks"]:
            row = rows.setdefault(b["name"], {}).setdefault(which, {})
            row.setdefault("rate", []).append(b.get("msgs_per_s", b.get("calls_per_s", 0)))
            for c in costs:
                if c in b:
                    row.setdefault(c, []).append(b[c])
med = statistics.median
for name, by in rows.items():
    if "before" not in by or "after" not in by:
        print(f"{name}: only in the {'after' if 'after' in by else 'before'} binary")
        continue
    print(name)
    for key, before in by["before"].items():
        if key not in by["after"]:
            continue
        b, a = med(before), med(by["after"][key])
        ratio = f"{a / b:6.2f}x" if b else "      -"
        print(f"  {key:24} before {b:14.2f}   after {a:14.2f}   {ratio}")
print(f"medians over {rounds} alternated rounds")
PY
