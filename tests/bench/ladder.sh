#!/usr/bin/env bash
# Benchmark ladder for Rookery (issue 4). For each level: start a fresh `rookery` pinned to one
# core, sample its CPU (utime+stime), RSS and open fds from /proc every second, drive it with
# `rookery-load` pinned to the other core, then judge the level. Writes JSON, a markdown table
# and PNG plots (gnuplot) to the output folder.
#
#   tests/bench/ladder.sh --quick          # ~10 minutes: 10 s holds, fewer levels
#   tests/bench/ladder.sh                  # the full ladder (60 s idle holds, 30 s action holds)
#   tests/bench/ladder.sh --help           # every option
#
# Levels: idle (5,000 / 10,000 / 15,000 / 19,500 connections), the talk's scenario
# (15,000 SpellTraction players, one move per 2 s), action (SpellTraction rooms of 100, 10 Hz
# moves, 20 Hz state: 1,000, 2,000, ... until the server no longer keeps up) and --threads 2
# against --threads 1 at one action level. Optional: a perf profile of one action level.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/tests/bench"

SERVER_BIN="$ROOT/build/bin/rookery"
LOAD_BIN="$ROOT/build/bin/rookery-load"
OUT=""
WORK=""
QUICK=0
ONLY="idle,talk,action,threads"
IDLE_LEVELS="5000 10000 15000 19500"
IDLE_HOLD=60
TALK_CLIENTS=15000
TALK_RATE=0.5
TALK_HOLD=60
ACTION_START=1000
ACTION_STEP=1000
ACTION_MAX=12000
ACTION_REFINE=500
ACTION_HOLD=30
ACTION_RATE=10
ROOM_SIZE=100
THREADS_LEVEL=auto
WARMUP=5
RAMP=2000
SOURCE_IPS="127.0.0.2-127.0.0.40"
SERVER_CPUS=0
LOAD_CPUS=1
PROFILE=0
PROFILE_LEVEL=auto
PROFILE_SECONDS=10
RETRIES=1
MSG_RATE=100
OUTBOUND_QUEUE=262144
IDLE_TICK_HZ=""
NICE=0
RT_PRIO=0
EXTRA_SERVER_ARGS=()
LEVEL_SERVER_ARGS=()
LEVEL_NOTE=""

usage() {
  cat <<EOF
Usage: tests/bench/ladder.sh [options]

  --quick                 short run: idle 5,000 and 19,500, talk 15,000, action from 1,000 in
                          steps of 1,000 without refinement, 10 s holds, 2 s warm-up
  --out DIR               results folder [docs/benchmarks/full, or docs/benchmarks/quick]
  --work DIR              scratch folder for databases, logs, perf data [a new /tmp folder]
  --server BIN            rookery binary [build/bin/rookery]
  --load BIN              rookery-load binary [build/bin/rookery-load]
  --only LIST             comma list of: idle,talk,action,threads [all]
  --idle-levels "N ..."   idle connection counts [$IDLE_LEVELS]
  --idle-hold S           seconds each idle level is held and measured [$IDLE_HOLD]
  --idle-tick-hz "HZ ..." also run each idle level with the server's rooms ticking at these
                          rates (--spelltraction-tick-hz), e.g. "1": separates the cost of
                          holding connections from the cost of broadcasting States [none]
  --talk-clients N        players in the talk's scenario [$TALK_CLIENTS]
  --talk-rate HZ          their moves per second [$TALK_RATE]
  --talk-hold S           [$TALK_HOLD]
  --action-start N        first action level [$ACTION_START]
  --action-step N         step between action levels [$ACTION_STEP]
  --action-max N          last action level tried [$ACTION_MAX]
  --action-refine N       after the first failed level, try last-good + N, + 2N ... [$ACTION_REFINE;
                          0: off]
  --action-hold S         seconds each action level is measured [$ACTION_HOLD]
  --action-rate HZ        moves per second per client [$ACTION_RATE]
  --room-size N           clients per room [$ROOM_SIZE]
  --threads-level N|auto  action level for --threads 2 against 1 [auto: the first level one
                          thread did not keep up, else the largest]
  --warmup S              seconds between the ramp and the measured window [$WARMUP]
  --retries N             run an action level that did not keep up again, up to N more times,
                          before stopping the ladder (other work on the machine can push one
                          run's p99 over the line); the table shows the last attempt and says
                          which it was [$RETRIES]
  --ramp N                new connections per second [$RAMP]
  --source-ips LIST       client source addresses [$SOURCE_IPS]
  --server-cpus LIST      taskset CPUs of the server [$SERVER_CPUS]
  --load-cpus LIST        taskset CPUs of the generator [$LOAD_CPUS]
  --msg-rate N            server --msg-rate (inputs + pings per client per second) [$MSG_RATE]
  --outbound-queue N      server --outbound-queue-bytes [$OUTBOUND_QUEUE]
  --profile               perf record -g the server for --profile-seconds in one action level
  --profile-level N|auto  which level [auto: the largest level that kept up]
  --profile-seconds S     [$PROFILE_SECONDS]
  --server-arg ARG        extra server flag (repeat)
  --nice N                run server, generator and sampler at this nice value, e.g. -15 on a
                          machine shared with other work (root only) [0]
  --rt PRIO               run server and generator under SCHED_FIFO at PRIO (chrt -f; root
                          only), for a machine busy with other work: they then preempt it at
                          once instead of waiting for a time slice. The kernel's RT throttling
                          (sched_rt_runtime_us, 95% by default) still leaves each CPU to others
                          5% of the time. Off on a quiet machine [0: off]
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    --work) WORK=$2; shift ;;
    --server) SERVER_BIN=$2; shift ;;
    --load) LOAD_BIN=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --idle-levels) IDLE_LEVELS=$2; shift ;;
    --idle-hold) IDLE_HOLD=$2; shift ;;
    --idle-tick-hz) IDLE_TICK_HZ=$2; shift ;;
    --nice) NICE=$2; shift ;;
    --rt) RT_PRIO=$2; shift ;;
    --talk-clients) TALK_CLIENTS=$2; shift ;;
    --talk-rate) TALK_RATE=$2; shift ;;
    --talk-hold) TALK_HOLD=$2; shift ;;
    --action-start) ACTION_START=$2; shift ;;
    --action-step) ACTION_STEP=$2; shift ;;
    --action-max) ACTION_MAX=$2; shift ;;
    --action-refine) ACTION_REFINE=$2; shift ;;
    --action-hold) ACTION_HOLD=$2; shift ;;
    --action-rate) ACTION_RATE=$2; shift ;;
    --room-size) ROOM_SIZE=$2; shift ;;
    --threads-level) THREADS_LEVEL=$2; shift ;;
    --warmup) WARMUP=$2; shift ;;
    --retries) RETRIES=$2; shift ;;
    --ramp) RAMP=$2; shift ;;
    --source-ips) SOURCE_IPS=$2; shift ;;
    --server-cpus) SERVER_CPUS=$2; shift ;;
    --load-cpus) LOAD_CPUS=$2; shift ;;
    --msg-rate) MSG_RATE=$2; shift ;;
    --outbound-queue) OUTBOUND_QUEUE=$2; shift ;;
    --profile) PROFILE=1 ;;
    --profile-level) PROFILE_LEVEL=$2; shift ;;
    --profile-seconds) PROFILE_SECONDS=$2; shift ;;
    --server-arg) EXTRA_SERVER_ARGS+=("$2"); shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ladder.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ $QUICK -eq 1 ]]; then
  # Explicit flags given after --quick still win only if they came later on the line; keep
  # the quick preset simple: it overrides the hold times and level lists.
  IDLE_LEVELS="5000 19500"
  IDLE_HOLD=10
  TALK_HOLD=10
  ACTION_HOLD=10
  ACTION_REFINE=0
  WARMUP=2
  PROFILE_SECONDS=8
  [[ -n $OUT ]] || OUT="$ROOT/docs/benchmarks/quick"
fi
[[ -n $OUT ]] || OUT="$ROOT/docs/benchmarks/full"
for bin in "$SERVER_BIN" "$LOAD_BIN"; do
  if [[ ! -x $bin ]]; then
    echo "ladder.sh: $bin is missing: ninja -C build rookery rookery-load" >&2
    exit 2
  fi
done
command -v taskset >/dev/null || { echo "ladder.sh: taskset (util-linux) is needed" >&2; exit 2; }
command -v python3 >/dev/null || { echo "ladder.sh: python3 is needed" >&2; exit 2; }

# How server and generator are started: plain, niced, or SCHED_FIFO.
PRIO=(nice -n "$NICE")
if [[ $RT_PRIO -gt 0 ]]; then
  command -v chrt >/dev/null || { echo "ladder.sh: --rt needs chrt (util-linux)" >&2; exit 2; }
  PRIO=(chrt -f "$RT_PRIO")
fi

mkdir -p "$OUT/levels"
if [[ -z $WORK ]]; then
  WORK=$(mktemp -d /tmp/rookery-ladder.XXXXXX)
fi
mkdir -p "$WORK"
LOG="$OUT/ladder.log"
: >"$LOG"

say() { echo "[ladder $(date +%H:%M:%S)] $*" | tee -a "$LOG" >&2; }

SERVER_PID=""
SAMPLER_PID=""
LOAD_PID=""
cleanup() {
  # Only what this script started, by PID.
  for pid in "$LOAD_PID" "$SAMPLER_PID" "$SERVER_PID"; do
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=tests/bench/server.sh
source "$HERE/server.sh"

# start_server DIR THREADS CPUS: starts rookery, sets SERVER_PID and PORT (raw TCP).
start_server() {
  local dir=$1 threads=$2 cpus=$3
  bench_start_server "$dir" "${PRIO[@]}" taskset -c "$cpus" -- --threads "$threads" \
    --msg-rate "$MSG_RATE" --msg-burst $((MSG_RATE * 2)) --outbound-queue-bytes "$OUTBOUND_QUEUE" \
    "${EXTRA_SERVER_ARGS[@]}" "${LEVEL_SERVER_ARGS[@]}" || return 1
  PORT=$TCP_PORT
}

stop_server() { bench_stop_server; }

# profile_when_measuring DIR: waits for the generator's measured window, then records the
# server with perf for PROFILE_SECONDS.
profile_when_measuring() {
  local dir=$1 i
  for ((i = 0; i < 1200; i++)); do
    grep -q 'measure\]' "$dir/load.log" 2>/dev/null && break
    kill -0 "$LOAD_PID" 2>/dev/null || return 0
    sleep 0.1
  done
  say "perf record -g on the server (pid $SERVER_PID) for ${PROFILE_SECONDS}s"
  perf record -F 999 -g -p "$SERVER_PID" -o "$dir/perf.data" -- sleep "$PROFILE_SECONDS" \
    >"$dir/perf.log" 2>&1 || say "perf record failed: $(tail -1 "$dir/perf.log")"
}

# write_profile PERF_DATA PREFIX: flat profiles as text (self time by symbol, time including
# callees, and the split by binary: kernel against user space).
write_profile() {
  local data=$1 prefix=$2
  perf report -i "$data" --no-children --sort sym -g none --stdio 2>/dev/null |
    grep -E '^ +[0-9]' | head -80 >"$prefix-self.txt" || true
  perf report -i "$data" --children --sort sym -g none --stdio 2>/dev/null |
    grep -E '^ +[0-9]' | head -80 >"$prefix-children.txt" || true
  perf report -i "$data" --no-children --sort dso -g none --stdio 2>/dev/null |
    grep -E '^ +[0-9]' >"$prefix-dso.txt" || true
}

# run_level NAME KIND CLIENTS THREADS SERVER_CPUS LOAD_CPUS PROFILE(0|1) -- LOAD ARGS...
run_level() {
  local name=$1 kind=$2 clients=$3 threads=$4 scpus=$5 lcpus=$6 profile=$7
  shift 8
  local dir="$WORK/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  say "level $name: $kind, $clients clients, server --threads $threads on CPU $scpus, load on CPU $lcpus"
  start_server "$dir" "$threads" "$scpus" || return 1
  nice -n "$NICE" python3 "$HERE/sample_proc.py" "$SERVER_PID" "$dir/samples.jsonl" --max-seconds 1800 &
  SAMPLER_PID=$!
  sleep 2  # baseline samples before any client connects
  "${PRIO[@]}" taskset -c "$lcpus" "$LOAD_BIN" --port "$PORT" --connections "$clients" --json \
    --source-ips "$SOURCE_IPS" --ramp "$RAMP" --warmup "$WARMUP" \
    --device-prefix "ladder-$name" "$@" >"$dir/load.json" 2>"$dir/load.log" &
  LOAD_PID=$!
  if [[ $profile -eq 1 ]] && command -v perf >/dev/null; then
    profile_when_measuring "$dir"
  fi
  local rc=0
  wait "$LOAD_PID" || rc=$?
  LOAD_PID=""
  sleep 1
  kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  wait "$SAMPLER_PID" 2>/dev/null || true
  SAMPLER_PID=""
  stop_server
  if [[ $rc -ne 0 && $rc -ne 1 ]] || [[ ! -s "$dir/load.json" ]]; then
    say "level $name: rookery-load failed (exit $rc); see $dir/load.log"
    tail -5 "$dir/load.log" >&2 || true
    return 1
  fi
  python3 "$HERE/bench_report.py" level --name "$name" --kind "$kind" --clients "$clients" \
    --threads "$threads" --server-cpus "$scpus" --load-cpus "$lcpus" \
    --load "$dir/load.json" --samples "$dir/samples.jsonl" \
    --note "${LEVEL_SERVER_ARGS[*]}${LEVEL_NOTE}" >"$dir/result.json"
  cp "$dir/result.json" "$OUT/levels/$name.json"
  cp "$dir/load.log" "$OUT/levels/$name.load.log"
  local kept cpu p99 minhz
  kept=$(python3 "$HERE/bench_report.py" get "$dir/result.json" kept_up)
  cpu=$(python3 "$HERE/bench_report.py" get "$dir/result.json" server.cpu_pct 2>/dev/null || echo "?")
  p99=$(python3 "$HERE/bench_report.py" get "$dir/result.json" latency_ms.p99)
  minhz=$(python3 "$HERE/bench_report.py" get "$dir/result.json" state_rate_hz.min)
  say "level $name: kept_up=$kept server_cpu=${cpu}% p99=${p99}ms min_state=${minhz}Hz"
  LAST_KEPT=$kept
}

wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# Machine facts for the report.
python3 - "$OUT/machine.json" "$ROOT" "${PRIO[*]}" <<'PY'
import json, os, platform, subprocess, sys, time
model = ""
with open("/proc/cpuinfo") as f:
    for line in f:
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
try:
    commit = subprocess.run(["git", "-C", sys.argv[2], "rev-parse", "--short=12", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
except OSError:
    commit = ""
with open("/proc/loadavg") as f:
    load = " ".join(f.read().split()[:3])
json.dump({"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": commit,
           "loadavg": load, "priority": sys.argv[3]}, open(sys.argv[1], "w"), indent=1)
PY
say "results in $OUT, scratch in $WORK; machine: $(tr -d '\n' <"$OUT/machine.json")"

RESULTS=()
if wants idle; then
  for n in $IDLE_LEVELS; do
    if run_level "idle-$n" idle "$n" 1 "$SERVER_CPUS" "$LOAD_CPUS" 0 -- \
      --scenario idle --room-size "$ROOM_SIZE" --duration "$IDLE_HOLD"; then
      RESULTS+=("$OUT/levels/idle-$n.json")
    fi
  done
  for hz in $IDLE_TICK_HZ; do
    LEVEL_SERVER_ARGS=(--spelltraction-tick-hz "$hz")
    for n in $IDLE_LEVELS; do
      if run_level "idle-$n-tick$hz" idle "$n" 1 "$SERVER_CPUS" "$LOAD_CPUS" 0 -- \
        --scenario idle --room-size "$ROOM_SIZE" --duration "$IDLE_HOLD"; then
        RESULTS+=("$OUT/levels/idle-$n-tick$hz.json")
      fi
    done
    LEVEL_SERVER_ARGS=()
  done
fi

if wants talk; then
  if run_level "talk-$TALK_CLIENTS" talk "$TALK_CLIENTS" 1 "$SERVER_CPUS" "$LOAD_CPUS" 0 -- \
    --scenario spelltraction --rate "$TALK_RATE" --room-size "$ROOM_SIZE" \
    --duration "$TALK_HOLD"; then
    RESULTS+=("$OUT/levels/talk-$TALK_CLIENTS.json")
  fi
fi

# action_level N: one action level, retried up to RETRIES times while it does not keep up.
# Sets LAST_KEPT; earlier attempts stay in the output as action-N-attemptK.json.
action_level() {
  local n=$1 attempt rc=1
  for ((attempt = 1; attempt <= RETRIES + 1; attempt++)); do
    LAST_KEPT=false
    LEVEL_NOTE=""
    [[ $attempt -gt 1 ]] && LEVEL_NOTE="attempt $attempt"
    rc=0
    run_level "action-$n" action "$n" 1 "$SERVER_CPUS" "$LOAD_CPUS" 0 -- \
      --scenario spelltraction --rate "$ACTION_RATE" --room-size "$ROOM_SIZE" \
      --duration "$ACTION_HOLD" || rc=$?
    LEVEL_NOTE=""
    [[ $rc -eq 0 && $LAST_KEPT == true ]] && break
    if [[ $attempt -le $RETRIES && -f "$OUT/levels/action-$n.json" ]]; then
      mv "$OUT/levels/action-$n.json" "$OUT/levels/action-$n-attempt$attempt.json"
      say "level action-$n did not keep up (attempt $attempt); trying again"
    fi
  done
  return "$rc"
}

LAST_GOOD=0
FIRST_BAD=0
if wants action; then
  for ((n = ACTION_START; n <= ACTION_MAX; n += ACTION_STEP)); do
    action_level "$n" && RESULTS+=("$OUT/levels/action-$n.json")
    if [[ $LAST_KEPT == true ]]; then
      LAST_GOOD=$n
    else
      FIRST_BAD=$n
      break
    fi
  done
  if [[ $ACTION_REFINE -gt 0 && $FIRST_BAD -gt 0 ]]; then
    for ((n = LAST_GOOD + ACTION_REFINE; n < FIRST_BAD; n += ACTION_REFINE)); do
      action_level "$n" && RESULTS+=("$OUT/levels/action-$n.json")
      if [[ $LAST_KEPT == true ]]; then LAST_GOOD=$n; else FIRST_BAD=$n; break; fi
    done
  fi
  say "action: largest level kept up on one core: $LAST_GOOD; first not kept up: $FIRST_BAD"
fi

if [[ $PROFILE -eq 1 ]]; then
  level=$PROFILE_LEVEL
  if [[ $level == auto ]]; then level=$((LAST_GOOD > 0 ? LAST_GOOD : ACTION_START)); fi
  dir="$WORK/profile-$level"
  run_level "profile-$level" profile "$level" 1 "$SERVER_CPUS" "$LOAD_CPUS" 1 -- \
    --scenario spelltraction --rate "$ACTION_RATE" --room-size "$ROOM_SIZE" \
    --duration "$((PROFILE_SECONDS + 4))" || true
  if [[ -s "$dir/perf.data" ]]; then
    write_profile "$dir/perf.data" "$OUT/profile-$level"
    say "profile written to $OUT/profile-$level-*.txt (raw data: $dir/perf.data)"
  fi
fi

if wants threads && wants action; then
  level=$THREADS_LEVEL
  if [[ $level == auto ]]; then
    level=$((FIRST_BAD > 0 ? FIRST_BAD : LAST_GOOD))
  fi
  if [[ $level -gt 0 ]]; then
    if [[ ! -f "$OUT/levels/action-$level.json" ]]; then
      action_level "$level" && RESULTS+=("$OUT/levels/action-$level.json")
    fi
    [[ -f "$OUT/levels/action-$level.json" ]] &&
      cp "$OUT/levels/action-$level.json" "$OUT/levels/threads1-$level.json" &&
      sed -i 's/"kind": "action"/"kind": "threads"/' "$OUT/levels/threads1-$level.json" &&
      RESULTS+=("$OUT/levels/threads1-$level.json")
    if run_level "threads2-$level" threads "$level" 2 "0,1" "$LOAD_CPUS" 0 -- \
      --scenario spelltraction --rate "$ACTION_RATE" --room-size "$ROOM_SIZE" \
      --duration "$ACTION_HOLD"; then
      RESULTS+=("$OUT/levels/threads2-$level.json")
    fi
  fi
fi

if [[ ${#RESULTS[@]} -eq 0 ]]; then
  say "no level produced a result"
  exit 1
fi
title="Rookery ladder ($([[ $QUICK -eq 1 ]] && echo quick || echo full) run)"
python3 "$HERE/bench_report.py" summarize --out "$OUT" --title "$title" \
  --machine "$OUT/machine.json" "${RESULTS[@]}" | tee -a "$LOG"
if command -v gnuplot >/dev/null; then
  (cd "$OUT" && gnuplot plots.gp) || say "gnuplot failed"
else
  say "gnuplot is missing (apt-get install gnuplot-nox): no PNG plots"
fi
say "done: $OUT/ladder.md"
