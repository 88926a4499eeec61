#!/usr/bin/env bash
# The printed replay line works pasted at the repository root, as README
# says, wherever the failing run was started: run a failing scenario from
# the binary's own directory as ./drpc-sim (a path that means nothing at the
# root), take its `replay:` line, run it at the root, expect the same failure.
#
#   replay_line_test.sh DRPC_SIM REPO_ROOT
set -euo pipefail
sim=$(realpath "$1")
root=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

expect_failure() {  # runs "$@" (in the current directory), wants exit 1
  local rc=0
  "$@" >"$work/out" 2>"$work/err" || rc=$?
  if [[ $rc -ne 1 ]]; then
    echo "expected exit 1 (a failure found), got $rc from: $*" >&2
    cat "$work/out" "$work/err" >&2
    exit 1
  fi
}

for args in "--scenario lock_order.buggy --seed 1" \
  "--scenario lock_order.buggy --seed 2 --strategy pct --pct-depth 3"; do
  cd "$(dirname "$sim")"
  # shellcheck disable=SC2086
  expect_failure ./drpc-sim run $args --no-save-log
  first=$(cat "$work/out")
  line=$(grep '^replay: ' <<<"$first" | sed 's/^replay: //')
  [[ -n "$line" ]] || { echo "no replay line in:" >&2; echo "$first" >&2; exit 1; }
  echo "printed: $line"
  cd "$root"
  expect_failure bash -c "$line --no-save-log"
  again=$(cat "$work/out")
  for pattern in '^FAIL ' '^trace hash '; do
    want=$(grep "$pattern" <<<"$first")
    got=$(grep "$pattern" <<<"$again" || true)
    if [[ "$want" != "$got" ]]; then
      echo "the replay at the repository root differs: want '$want', got '$got'" >&2
      exit 1
    fi
  done
  echo "replayed at $root: $(grep '^FAIL ' <<<"$again")"
done
