#!/usr/bin/env bash
# The examples' ctest: what a newcomer does from examples/README.md, checked.
#   1. bad command lines fail with a usage message and exit status 2;
#   2. echo_server on a free port, echo_client against it: every call as
#      expected (exit 0) and the printed results are there;
#   3. SIGTERM stops the server gracefully (exit 0).
# usage: run_echo_example.sh ECHO_SERVER ECHO_CLIENT
set -u
server_bin=$1
client_bin=$2
work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill -KILL "$server_pid" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# ---- 1. usage errors --------------------------------------------------------
expect_usage_error() {
  "$@" >"$work/out" 2>"$work/err"
  local status=$?
  [ "$status" -eq 2 ] || fail "'$*' exited $status, want 2"
  grep -q "usage:" "$work/err" || fail "'$*' printed no usage: $(cat "$work/err")"
}
expect_usage_error "$client_bin" --port nope
expect_usage_error "$client_bin" --port 70000
expect_usage_error "$client_bin" --bogus 1
expect_usage_error "$client_bin" --port
expect_usage_error "$client_bin" stray
expect_usage_error "$server_bin" --port -1
"$client_bin" --help | grep -q "usage:" || fail "echo_client --help printed no usage"

# ---- 2. the README's two commands, on a free port ----------------------------
"$server_bin" --port 0 >"$work/server.out" 2>"$work/server.err" &
server_pid=$!
port=
for _ in $(seq 1 100); do  # up to 10 s for the server to listen
  port=$(sed -n 's/^echo_server listening on .*:\([0-9][0-9]*\)$/\1/p' "$work/server.out")
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "echo_server exited early: $(cat "$work/server.err")"
  sleep 0.1
done
[ -n "$port" ] || fail "echo_server never said where it listens"

"$client_bin" --port "$port" --user ci >"$work/client.out" 2>&1
status=$?
cat "$work/client.out"
[ "$status" -eq 0 ] || fail "echo_client exited $status"
for want in \
  'unary          Say("hello, drpc") -> "hello, drpc"; the server saw metadata user=ci' \
  'server stream  Count(3) -> ticks 0 1 2, then end of stream' \
  'client stream  Sum(1, 2, 3, 4, 5) -> 15 (5 numbers)' \
  'bidi           Chat("ping", "pong") -> "echo: ping" "echo: pong", then end of stream' \
  'error          Say("") -> InvalidArgument (code 3): text must not be empty' \
  'deadline       Say(delay 1000 ms) with a 100 ms deadline -> DeadlineExceeded' \
  'all 6 calls behaved as expected'; do
  grep -qF -- "$want" "$work/client.out" || fail "client output lacks: $want"
done

# ---- 3. graceful stop --------------------------------------------------------
kill -TERM "$server_pid"
wait "$server_pid"
status=$?
server_pid=
[ "$status" -eq 0 ] || fail "echo_server exited $status after SIGTERM: $(cat "$work/server.err")"
grep -q "stopping" "$work/server.out" || fail "echo_server did not say it was stopping"

# A client with no server gets a clear error (exit 1), not a hang or a crash.
"$client_bin" --port "$port" >"$work/out" 2>"$work/err"
status=$?
[ "$status" -eq 1 ] || fail "echo_client without a server exited $status, want 1"
grep -q "cannot connect" "$work/err" || fail "no 'cannot connect' message: $(cat "$work/err")"
echo "PASS"
