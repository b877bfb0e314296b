#!/usr/bin/env bash
# Helpers shared by the infra checks (sourced, not run). Each check reports one line per
# result, PASS/FAIL/SKIP, and appends it to $INFRA_RESULTS so run.sh can count them.

INFRA_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$INFRA_DIR/../.." && pwd)
RK_BIN=${INFRA_ROOKERY_BIN:-$REPO_ROOT/build/bin/rookery}  # not ROOKERY_*: rookery warns about unknown ROOKERY_* variables
INFRA_RESULTS=${INFRA_RESULTS:-/dev/null}
# shellcheck disable=SC2034  # used by the checks that source this file
SIDE_PORT_SKIP="side-port not available yet"

_record() {
  printf '%s\n' "$*"
  printf '%s\n' "$*" >>"$INFRA_RESULTS"
}
pass() { _record "PASS: $*"; }
fail() { _record "FAIL: $*"; }
skip() { _record "SKIP: $*"; }

# check NAME COMMAND...: runs the command quietly; PASS, or FAIL with the tail of its output.
check() {
  local name=$1
  shift
  local log
  log=$(mktemp)
  if "$@" >"$log" 2>&1; then
    pass "$name"
  else
    fail "$name"
    sed 's/^/    | /' "$log" | tail -n 40
  fi
  rm -f "$log"
}

# A TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: true once URL answers 2xx.
wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    curl -sf -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.2
  done
  return 1
}

# wait_port PORT SECONDS: true once 127.0.0.1:PORT accepts connections.
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# Starts rookery in the background on free loopback ports with a database under DIR.
# Sets ROOKERY_PID, TCP_PORT, WS_PORT, HTTP_PORT. Extra arguments go to `rookery serve`.
start_rookery() {
  local dir=$1
  shift
  TCP_PORT=$(free_port)
  WS_PORT=$(free_port)
  HTTP_PORT=$(free_port)
  env -u ROOKERY_CONTAINER_TEST "$RK_BIN" serve --bind 127.0.0.1 --tcp-port "$TCP_PORT" --ws-port "$WS_PORT" \
    --http-bind 127.0.0.1 --http-port "$HTTP_PORT" --db "$dir/rookery.db" \
    --max-connections 1000 --threads 2 "$@" >"$dir/rookery.out" 2>"$dir/rookery.err" &
  ROOKERY_PID=$!
  wait_port "$TCP_PORT" 15
}

# Stops the server started by start_rookery with SIGTERM; returns its exit status.
stop_rookery() {
  [[ -n ${ROOKERY_PID:-} ]] || return 0
  kill -TERM "$ROOKERY_PID" 2>/dev/null || true
  local status=0
  wait "$ROOKERY_PID" || status=$?
  ROOKERY_PID=""
  return "$status"
}

# True when the rookery binary contains MARKER, a string only the code of a command prints
# (static libraries link an object only when main.cpp calls into it). Detects whether a command
# is wired in without running the binary, which would start a server if it is not.
rookery_links() {
  [[ -x $RK_BIN ]] && grep -qaF -- "$1" "$RK_BIN"
}
