#!/usr/bin/env bash
# Starts rookery and a real Prometheus (Debian package) on loopback, scrapes every second, and
# runs scrape.test.mjs against Prometheus' HTTP API. Prints "N passed, M failed" last.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=${ROOKERY_BIN:-$root/build/bin/rookery}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rookery-prom.XXXXXX")
rookery_pid=
prom_pid=

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  [[ -n "$prom_pid" ]] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  [[ -n "$rookery_pid" ]] && kill -TERM "$rookery_pid" 2>/dev/null && wait "$rookery_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v prometheus >/dev/null; then
  echo "prometheus.sh: installing Debian's prometheus"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus \
    >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi
# Debian's package starts a system Prometheus on :9090; ours runs on a free port of its own.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port=$(free_port)
prom_port=$(free_port)

"$bin" serve --tcp-port 0 --ws-port 0 --http-port "$http_port" --http-bind 127.0.0.1 \
  --db "$tmp/rookery.db" --threads 2 >"$tmp/rookery.out" 2>"$tmp/rookery.err" &
rookery_pid=$!
for _ in $(seq 1 100); do
  grep -q 'tcp://' "$tmp/rookery.out" 2>/dev/null && break
  sleep 0.1
done
tcp_port=$(sed -nE 's|.*tcp://[^:]+:([0-9]+).*|\1|p' "$tmp/rookery.out")
if [[ -z "$tcp_port" ]]; then
  echo "rookery did not start:"; cat "$tmp/rookery.err"; echo "0 passed, 1 failed"; exit 1
fi

cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: rookery
    static_configs:
      - targets: ["127.0.0.1:$http_port"]
YAML
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null && break
  sleep 0.2
done

cd "$here/.." || exit 1
[[ -d node_modules ]] || npm ci --no-audit --no-fund --silent
ROOKERY_TCP_PORT=$tcp_port PROMETHEUS_URL="http://127.0.0.1:$prom_port" \
  node --test --test-reporter=spec prometheus/scrape.test.mjs 2>&1 | tee "$tmp/test.log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^✔ ' "$tmp/test.log")
failed=$(grep -cE '^✖ ' "$tmp/test.log")
if [[ $status -ne 0 ]]; then
  echo "--- rookery stderr"; tail -20 "$tmp/rookery.err"
  echo "--- prometheus log"; tail -20 "$tmp/prometheus.log"
  [[ $failed -eq 0 ]] && failed=1
fi
echo "$passed passed, $failed failed"
exit "$status"
