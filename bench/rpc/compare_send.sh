#!/usr/bin/env bash
# Issue 15's send-path figures, before and after, in ONE run on one machine:
# bench_rpc's streaming and unary benchmarks from two builds, alternated
# round by round (so load on the shared machine hits both alike), then the
# median over rounds of msg/s (calls/s) and of the process CPU time per
# message (getrusage: both ends of the connection) for each.
#
#   bench/rpc/compare_send.sh BEFORE_BINARY AFTER_BINARY [ROUNDS]
#   bench/rpc/compare_send.sh /work/main/build/default/bench/rpc/bench_rpc \
#       build/default/bench/rpc/bench_rpc 5
set -euo pipefail
before=$1
after=$2
rounds=${3:-5}
filter='BM_Stream/|BM_Unary/'
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
rows = {}
for which in ("before", "after"):
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{out}/{which}.{r}.json"))["benchmarks"]:
            rate = b.get("msgs_per_s", b.get("calls_per_s", 0))
            cpu = b.get("cpu_us_per_msg", b.get("cpu_us_per_call", 0))
            allocs = b.get("allocs_per_msg", b.get("allocs_per_call", 0))
            rows.setdefault(b["name"], {}).setdefault(which, []).append((rate, cpu, allocs))
med = lambda xs: statistics.median(xs)
print(f"{'benchmark':40} {'rate before':>12} {'rate after':>12} {'x':>6} "
      f"{'cpu us before':>14} {'cpu us after':>13} {'x':>6} {'allocs b/a':>12}")
for name, by in rows.items():
    b, a = by["before"], by["after"]
    rb, ra = med([x[0] for x in b]), med([x[0] for x in a])
    cb, ca = med([x[1] for x in b]), med([x[1] for x in a])
    ab, aa = med([x[2] for x in b]), med([x[2] for x in a])
    print(f"{name:40} {rb:12.0f} {ra:12.0f} {ra / rb:6.2f} {cb:14.2f} {ca:13.2f} "
          f"{ca / cb:6.2f} {ab:6.2f}/{aa:<5.2f}")
print(f"medians over {rounds} alternated rounds")
PY
