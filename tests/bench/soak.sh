#!/usr/bin/env bash
# The soak (issue 12): the talk's scenario held for 30 minutes. 15,000 SpellTraction players in
# rooms of 100, one move per 2 s each, the room ticking at 4 Hz, on one server thread pinned to
# CPU 0 with the generator on CPU 1. Each minute it samples the server's RSS, open fds and CPU
# (/proc) and its tick lag and tick duration (/metrics); at the end it writes a table per minute
# and the growth from the first settled minute to the last. A benchmark, not a CI test.
#
#   tests/bench/soak.sh [--clients 15000] [--minutes 30] [--rate 0.5] [--tick-hz 4]
#                       [--out docs/benchmarks/soak-DATE] [--source-ips 127.0.0.2-127.0.0.9]
#                       [-- MORE SERVER FLAGS]
#
# Writes to OUT: soak.md (the report), samples.jsonl (one line a minute), load.json and
# load.log (rookery-load's summary and progress), server.err, machine.json. Every process it
# starts stops by itself: the generator at its hard cap, the sampler after the run, the server
# by SIGTERM then SIGKILL. Needs python3, taskset, and build/bin/rookery and rookery-load.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SERVER_BIN="$ROOT/build/bin/rookery"
LOAD_BIN="$ROOT/build/bin/rookery-load"
CLIENTS=15000 MINUTES=30 RATE=0.5 TICK_HZ=4 ROOM_SIZE=100 RAMP=1000
SOURCE_IPS="127.0.0.2-127.0.0.9"
OUT="$ROOT/docs/benchmarks/soak-$(date -u +%Y-%m-%d)"
SETTLE=2
SERVER_ARGS=()
while (($#)); do
  case $1 in
    --clients) CLIENTS=$2; shift 2 ;;
    --minutes) MINUTES=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --tick-hz) TICK_HZ=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --source-ips) SOURCE_IPS=$2; shift 2 ;;
    --settle-minutes) SETTLE=$2; shift 2 ;;
    --) shift; SERVER_ARGS=("$@"); break ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in python3 taskset; do
  command -v "$tool" >/dev/null || { echo "soak.sh: $tool is needed" >&2; exit 2; }
done
[[ -x $SERVER_BIN && -x $LOAD_BIN ]] || {
  echo "soak.sh: build first: ninja -C build rookery rookery-load" >&2
  exit 2
}

mkdir -p "$OUT"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rookery-soak.XXXXXX")
say() { echo "[soak $(date +%H:%M:%S)] $*" >&2; }
# shellcheck source=tests/bench/server.sh
source "$HERE/server.sh"
SAMPLER_PID="" LOAD_PID=""
cleanup() {
  for pid in "$LOAD_PID" "$SAMPLER_PID"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  bench_stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

python3 - "$OUT/machine.json" "$ROOT" <<'PY'
import json, os, platform, subprocess, sys, time
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
              if l.startswith("model name")), "")
commit = subprocess.run(["git", "-C", sys.argv[2], "rev-parse", "--short=12", "HEAD"],
                        capture_output=True, text=True, check=False).stdout.strip()
json.dump({"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit,
           "loadavg": " ".join(open("/proc/loadavg").read().split()[:3])},
          open(sys.argv[1], "w"), indent=1)
PY

seconds=$((MINUTES * 60))
bench_start_server "$WORK" taskset -c 0 -- --threads 1 --spelltraction-tick-hz "$TICK_HZ" \
  "${SERVER_ARGS[@]}" || exit 1
say "server pid $SERVER_PID (tcp $TCP_PORT, http $HTTP_PORT); $CLIENTS clients for $MINUTES min"
python3 "$HERE/soak.py" sample "$SERVER_PID" "$HTTP_PORT" "$OUT/samples.jsonl.new" \
  --interval 60 --max-seconds $((seconds + 120)) &
SAMPLER_PID=$!
sleep 2  # the baseline sample, before any client
# The measured window starts when every client is in a room; the ramp (and its minute) is in
# the samples too, and the report leaves the first SETTLE minutes out of the growth figures.
taskset -c 1 "$LOAD_BIN" --port "$TCP_PORT" --connections "$CLIENTS" --json \
  --source-ips "$SOURCE_IPS" --ramp "$RAMP" --scenario spelltraction --rate "$RATE" \
  --room-size "$ROOM_SIZE" --duration "$seconds" --device-prefix "soak-$RANDOM" \
  >"$OUT/load.json" 2>"$WORK/load.log" &
LOAD_PID=$!
rc=0
wait "$LOAD_PID" || rc=$?
LOAD_PID=""
sleep 61  # one more sample with the clients gone: what a drained server gives back
kill -TERM "$SAMPLER_PID" 2>/dev/null || true
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
mv "$OUT/samples.jsonl.new" "$OUT/samples.jsonl"
bench_stop_server
# The progress line is printed every second: keep one a minute, and the summary.
awk '/^\[/ { if (++n % 60 == 1) print; next } { print }' "$WORK/load.log" >"$OUT/load.log"
cp "$WORK/server.err" "$OUT/server.err"
if [[ $rc -ne 0 && $rc -ne 1 ]]; then
  say "rookery-load failed (exit $rc); see $OUT/load.log"
  exit 1
fi
{
  echo "# Soak: $CLIENTS SpellTraction players, $MINUTES minutes"
  echo
  echo "Command: \`tests/bench/soak.sh --clients $CLIENTS --minutes $MINUTES --rate $RATE --tick-hz $TICK_HZ${SERVER_ARGS[*]:+ -- ${SERVER_ARGS[*]}}\`"
  echo "(server \`--threads 1\` on CPU 0, \`--spelltraction-tick-hz $TICK_HZ\`; rookery-load on CPU 1,"
  echo "rooms of $ROOM_SIZE, $RATE moves/s per player, source addresses $SOURCE_IPS)."
  echo "Machine: $(tr -d '\n' <"$OUT/machine.json")"
  echo
  echo "Each row is one minute; the histograms give the bucket bound that holds the p99 and the"
  echo "highest non-empty bucket (the buckets run from 1 us to 1 s in 1-2.5-5 steps; 1e+03 ms is"
  echo "the 0.5-1 s bucket). The last row is a minute after the clients left."
  echo
  python3 "$HERE/soak.py" report "$OUT/samples.jsonl" "$OUT/load.json" --settle-minutes "$SETTLE"
} >"$OUT/soak.md"
cat "$OUT/soak.md"
