#!/usr/bin/env bash
# A/B of two rookery binaries (or one binary on two transports) in the action scenario: for each
# run, a fresh server --threads 1 on CPU 0, rookery-load on CPU 1 (SpellTraction rooms of 100,
# 10 Hz moves, 20 Hz state), the server's CPU read from /proc over the generator's measured
# window, and the generator's own CPU beside it. Runs alternate A, B, A, B ... so drift in the
# machine hits both; prints one line per run and the medians.
#
#   tests/bench/ab_server.sh --a OLD_BIN --b NEW_BIN [--transport ws] [--clients 2000]
#                            [--window 30] [--runs 3] [--load build/bin/rookery-load]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
A="" B="" TRANSPORT=ws CLIENTS=2000 WINDOW=30 RUNS=3 LOAD="$root/build/bin/rookery-load"
while (($#)); do
  case $1 in
    --a) A=$2; shift 2 ;;
    --b) B=$2; shift 2 ;;
    --transport) TRANSPORT=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --load) LOAD=$2; shift 2 ;;
    -h | --help)
      sed -n '2,9p' "$0"
      exit 0
      ;;
    *)
      echo "ab_server.sh: unknown option $1" >&2
      exit 2
      ;;
  esac
done
[[ -x $A && -x $B && -x $LOAD ]] || {
  echo "ab_server.sh: --a and --b must name rookery binaries (and --load rookery-load)" >&2
  exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/rookery-ab.XXXXXX")
# shellcheck source=tests/bench/server.sh
source "$here/server.sh"
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill -KILL "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# run BIN LABEL: one measured run; appends "server_cpu generator_cpu" to $work/LABEL.
run() {
  local bin=$1 label=$2 d port
  d=$(mktemp -d "$work/run.XXXXXX")
  SERVER_BIN=$bin bench_start_server "$d" taskset -c 0 -- --threads 1 || exit 1
  port=$TCP_PORT
  [[ $TRANSPORT == ws ]] && port=$WS_PORT
  # The generator's JSON names its measured window in unix time; /proc is sampled every
  # 0.5 s meanwhile, and the server's CPU is taken over exactly that window.
  python3 "$here/sample_proc.py" "$SERVER_PID" "$d/samples.jsonl" --max-seconds 600 &
  local sampler=$!
  taskset -c 1 "$LOAD" --port "$port" --transport "$TRANSPORT" --connections "$CLIENTS" --json \
    --source-ips 127.0.0.2-127.0.0.20 --ramp 2000 --warmup 5 --scenario spelltraction \
    --rate 10 --room-size 100 --duration "$WINDOW" --device-prefix "ab-$label-$RANDOM" \
    >"$d/load.json" 2>"$d/load.log" || true
  kill -TERM "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  bench_stop_server
  python3 - "$d/load.json" "$d/samples.jsonl" "$label" "$work/$label" <<'PY'
import json, sys
load = json.load(open(sys.argv[1]))
samples = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
t0, t1 = load["window_start_unix"], load["window_end_unix"]
inside = [s for s in samples if t0 <= s["t"] <= t1]
cpu = ((inside[-1]["utime"] + inside[-1]["stime"]) - (inside[0]["utime"] + inside[0]["stime"])) / (inside[-1]["t"] - inside[0]["t"]) * 100
gen = load["generator"]["cpu_pct_window"]
print(f"{sys.argv[3]}: server CPU {cpu:.1f}% | generator {gen:.1f}% | state Hz median "
      f"{load['state_rate_hz']['median']:.2f} | p99 {load['latency_ms']['p99']:.0f} ms | "
      f"drops {load['drops']['total']} | errors {load['errors']['total']}")
with open(sys.argv[4], "a") as f:
    f.write(f"{cpu:.1f} {gen:.1f}\n")
PY
}

echo "A = $A"
echo "B = $B"
echo "$TRANSPORT, $CLIENTS clients, ${WINDOW} s windows, $RUNS runs each, $(nproc) CPUs"
for ((r = 1; r <= RUNS; r++)); do
  run "$A" A
  run "$B" B
done
for label in A B; do
  python3 - "$work/$label" "$label" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
print(f"median {sys.argv[2]}: server CPU {statistics.median(r[0] for r in rows):.1f}% "
      f"(generator {statistics.median(r[1] for r in rows):.1f}%)")
PY
done
