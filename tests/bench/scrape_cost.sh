#!/usr/bin/env bash
# Measures what one /metrics scrape costs while many connections are open: starts rookery on
# free ports, holds N idle clients with rookery-load, then times S scrapes (wall time per
# scrape, and the server's CPU time spent over them, from /proc/PID/stat).
#
#   tests/bench/scrape_cost.sh [CONNECTIONS [SCRAPES]]      (default 10000 20)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
conns=${1:-10000}
scrapes=${2:-20}
bin=$root/build/bin
work=$(mktemp -d "${TMPDIR:-/tmp}/rookery-scrape.XXXXXX")
server=
load=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [[ -n "$load" ]] && kill "$load" 2>/dev/null
  [[ -n "$server" ]] && kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/rookery" serve --tcp-port 0 --ws-port 0 --http-port "$port" --db "$work/r.db" \
  --max-connections 19000 >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 1 100); do grep -q 'tcp://' "$work/out" 2>/dev/null && break; sleep 0.1; done
tcp=$(sed -nE 's|.*tcp://[^:]+:([0-9]+).*|\1|p' "$work/out")

"$bin/rookery-load" --scenario idle --port "$tcp" --connections "$conns" --ramp 2000 \
  --duration 120 --source-ips 127.0.0.2-127.0.0.20 --quiet >"$work/load" 2>&1 &
load=$!
# Wait until every client is logged in (the server's own gauge says so).
for _ in $(seq 1 120); do
  n=$(curl -s "http://127.0.0.1:$port/metrics" | sed -nE 's/^rookery_players_logged_in ([0-9]+).*/\1/p')
  [[ "${n:-0}" -ge "$conns" ]] && break
  sleep 1
done
echo "connections logged in: ${n:-0}"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
hz=$(getconf CLK_TCK)
sleep 3
before=$(cpu_ticks)
idle_start=$(date +%s.%N)
sleep 5
idle_cpu=$(( $(cpu_ticks) - before ))
idle_secs=$(echo "$(date +%s.%N) - $idle_start" | bc)
times=()
before=$(cpu_ticks)
for _ in $(seq 1 "$scrapes"); do
  times+=("$(curl -s -o "$work/metrics" -w '%{time_total}' "http://127.0.0.1:$port/metrics")")
done
scrape_cpu=$(( $(cpu_ticks) - before ))
bytes=$(wc -c <"$work/metrics")
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
max=$(printf '%s\n' "${times[@]}" | sort -n | tail -1)
echo "scrapes: $scrapes, body $bytes bytes"
echo "wall time per scrape: median ${median}s, max ${max}s"
echo "server CPU over the scrapes: $(echo "scale=4; $scrape_cpu / $hz" | bc) s" \
  "(idle baseline $(echo "scale=4; $idle_cpu / $hz / $idle_secs" | bc) CPU-s per s)"
