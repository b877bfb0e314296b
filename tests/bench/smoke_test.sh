#!/usr/bin/env bash
# CI smoke test for rookery-load against a real server: a few hundred connections for a few
# seconds in each scenario (idle, spelltraction, relay over WebSocket, churn). Asserts
# behaviour, not timing: zero connect failures, drops and errors, every client got into a room
# and received state. Prints "N passed, M failed" last.
#
#   tests/bench/smoke_test.sh [ROOKERY_BIN [ROOKERY_LOAD_BIN]]
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVER_BIN=${1:-$ROOT/build/bin/rookery}
LOAD_BIN=${2:-$ROOT/build/bin/rookery-load}
CONNS=${SMOKE_CONNECTIONS:-300}
SECONDS_EACH=${SMOKE_SECONDS:-3}

passed=0
failed=0
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  [[ $failed -eq 0 ]]
  exit
}

for bin in "$SERVER_BIN" "$LOAD_BIN"; do
  if [[ ! -x $bin ]]; then
    bad "missing binary $bin (ninja -C build rookery rookery-load)"
    finish
  fi
done

WORK=$(mktemp -d /tmp/rookery-smoke.XXXXXX)
SERVER_PID=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$SERVER_BIN" serve --tcp-port 0 --ws-port 0 --http-port 0 --db "$WORK/rookery.db" \
  --threads 2 --max-connections 5000 --log-level warn --shutdown-deadline-ms 2000 \
  >"$WORK/server.out" 2>"$WORK/server.err" &
SERVER_PID=$!
TCP_PORT=""
WS_PORT=""
for _ in $(seq 1 100); do
  TCP_PORT=$(sed -n 's|.*Game, raw TCP: *tcp://[^:]*:\([0-9]*\).*|\1|p' "$WORK/server.out" 2>/dev/null | head -1)
  WS_PORT=$(sed -n 's|.*Game, WebSocket: *ws://[^:]*:\([0-9]*\).*|\1|p' "$WORK/server.out" 2>/dev/null | head -1)
  [[ -n $TCP_PORT && -n $WS_PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $TCP_PORT || -z $WS_PORT ]]; then
  bad "server did not start: $(tail -3 "$WORK/server.err")"
  finish
fi
ok "server started (tcp $TCP_PORT, ws $WS_PORT)"

# check NAME JSON_FILE: the run's summary says clean and every client got state.
check() {
  local name=$1 file=$2 expect_rates=$3
  python3 - "$file" "$CONNS" "$expect_rates" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
conns, expect_rates = int(sys.argv[2]), sys.argv[3] == "1"
problems = []
if not r["clean"]:
    problems.append("not clean")
if r["connect"]["failed"]:
    problems.append(f"{r['connect']['failed']} connect failures {r['connect']['failures_by_reason']}")
if r["drops"]["total"]:
    problems.append(f"{r['drops']['total']} drops {r['drops']['by_reason']}")
if r["errors"]["total"]:
    problems.append(f"{r['errors']['total']} errors {r['errors']['server_error_codes']}")
if r["connect"]["never_joined"]:
    problems.append(f"{r['connect']['never_joined']} clients never joined a room")
if r["state_rate_hz"]["clients_without_state"]:
    problems.append(f"{r['state_rate_hz']['clients_without_state']} clients got no state")
if r["connect"]["joined"] < conns:
    problems.append(f"only {r['connect']['joined']} joins for {conns} clients")
if expect_rates:
    rates = r["state_rate_hz"]
    if rates["clients"] != conns:
        problems.append(f"state rates for {rates['clients']} of {conns} clients")
    elif rates["min"] <= 0:
        problems.append("a client received no State in the measured window")
if r["scenario"] in ("spelltraction", "relay") and r["latency_ms"]["samples"] == 0:
    problems.append("no input was acknowledged")
if r["scenario"] == "churn" and r["churn"]["cycles"] < conns:
    problems.append(f"only {r['churn']['cycles']} churn cycles")
if problems:
    print("; ".join(problems))
    sys.exit(1)
PY
}

# scenario NAME EXPECT_RATES LOAD ARGS...
scenario() {
  local name=$1 expect_rates=$2
  shift 2
  local out="$WORK/$name.json" rc=0
  timeout 120 "$LOAD_BIN" --connections "$CONNS" --duration "$SECONDS_EACH" --quiet --json \
    --assert "$@" >"$out" 2>"$WORK/$name.log" || rc=$?
  if [[ $rc -ne 0 ]]; then
    bad "$name: rookery-load exit $rc: $(grep -E 'drops|errors|failure|result' "$WORK/$name.log" | tr '\n' ' ')"
    return
  fi
  local why
  if why=$(check "$name" "$out" "$expect_rates"); then
    ok "$name ($CONNS clients)"
  else
    bad "$name: $why"
  fi
}

scenario idle 1 --scenario idle --port "$TCP_PORT" --room-size 50 --ping-interval 1
scenario spelltraction 1 --scenario spelltraction --port "$TCP_PORT" --room-size 50 --rate 5 \
  --targets cluster
scenario relay-ws 1 --scenario relay --port "$WS_PORT" --transport ws --room-size 30 --rate 5
scenario churn 0 --scenario churn --port "$TCP_PORT" --hold-time 0.5 --churn-pause 0.1
scenario source-ips 1 --scenario spelltraction --port "$TCP_PORT" --room-size 100 --rate 2 \
  --processes 2 --source-ips 127.0.0.2-127.0.0.5

if kill -0 "$SERVER_PID" 2>/dev/null; then
  ok "server still running after the scenarios"
else
  bad "server died: $(tail -3 "$WORK/server.err")"
fi
finish
