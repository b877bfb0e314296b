#!/usr/bin/env bash
# Prometheus and Grafana checks (ops/prometheus, ops/grafana):
#   - promtool check config / check rules / test rules (the alert unit tests);
#   - the dashboard's structure and each alert's annotations (prom_eval.py --mode lint);
#   - a real Prometheus (Debian package) on loopback with the shipped config, temporary
#     storage: every dashboard query and rule expression must parse in its PromQL engine
#     (against the empty TSDB), then, with a running rookery and clients connected, must return
#     series. The live part is skipped while the binary has no side-port (/healthz).
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

DASHBOARD=ops/grafana/dashboards/rookery.json
mapfile -t RULES < <(ls ops/prometheus/rules/*.rules.yml)
rule_args=()
for r in "${RULES[@]}"; do rule_args+=(--rules "$r"); done

work=$(mktemp -d)
prom_pid=""
cleanup() {
  [[ -n $prom_pid ]] && kill "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
  stop_rookery >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

echo "== prometheus: promtool"
check "promtool check config ops/prometheus/prometheus.yml" promtool check config ops/prometheus/prometheus.yml
check "promtool check rules ${RULES[*]}" promtool check rules "${RULES[@]}"
for t in ops/prometheus/rules/*.test.yml; do
  check "promtool test rules $t" promtool test rules "$t"
done
check "grafana dashboard and alert annotations lint" \
  python3 "$INFRA_DIR/prom_eval.py" --mode lint --dashboard "$DASHBOARD" "${rule_args[@]}"

echo "== prometheus: a real server, empty TSDB: every expression parses"
# The shipped config, copied with its rules and an empty target list, scraping every second.
cp -r ops/prometheus "$work/config"
sed -i -e 's/^\(  scrape_interval:\).*/\1 1s/' -e 's/^\(  evaluation_interval:\).*/\1 1s/' \
  -e 's/^\(    scrape_timeout:\).*/\1 1s/' "$work/config/prometheus.yml"
printf '[]\n' >"$work/config/targets/rookery.yml"
prom_port=$(free_port)
prometheus --config.file="$work/config/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$work/prometheus.log" 2>&1 &
prom_pid=$!
prom=http://127.0.0.1:$prom_port
until curl -sf -o /dev/null "$prom/-/ready" || ! kill -0 "$prom_pid" 2>/dev/null || ((SECONDS > 60)); do
  sleep 0.2
done
if ! curl -sf -o /dev/null "$prom/-/ready"; then
  fail "prometheus did not start on 127.0.0.1:$prom_port"
  sed 's/^/    | /' "$work/prometheus.log" | tail -n 20
  exit 0
fi
pass "prometheus $(prometheus --version 2>&1 | awk 'NR==1 {print $3}') started with the shipped config (127.0.0.1:$prom_port)"
rules_loaded=$(curl -sf "$prom/api/v1/rules" | python3 -c 'import json,sys; print(sum(len(g["rules"]) for g in json.load(sys.stdin)["data"]["groups"]))')
rules_in_files=$(promtool check rules "${RULES[@]}" 2>&1 | awk '/rules found/ {n += $2} END {print n + 0}')
if [[ $rules_loaded == "$rules_in_files" && $rules_loaded -gt 0 ]]; then
  pass "prometheus loaded all $rules_loaded rules from rule_files"
else
  fail "prometheus loaded ${rules_loaded:-0} rules, the files hold $rules_in_files"
fi
check "every panel query and rule expression parses (Prometheus query API, empty TSDB)" \
  python3 "$INFRA_DIR/prom_eval.py" --prom "$prom" --dashboard "$DASHBOARD" "${rule_args[@]}" --mode parse

echo "== prometheus: against a running rookery with clients"
if [[ ! -x $RK_BIN ]]; then
  fail "rookery binary $RK_BIN not built"
  exit 0
fi
if ! start_rookery "$work"; then
  fail "rookery did not start"
  sed 's/^/    | /' "$work/rookery.err" | tail -n 20
  exit 0
fi
if ! wait_http "http://127.0.0.1:$HTTP_PORT/healthz" 5; then
  skip "live queries return series: $SIDE_PORT_SKIP (no /healthz on 127.0.0.1:$HTTP_PORT)"
  exit 0
fi
printf -- '- targets: ["127.0.0.1:%s"]\n  labels:\n    env: test\n' "$HTTP_PORT" \
  >"$work/config/targets/rookery.yml"
# Clients in rooms for the whole measurement, so ticks run and messages and bytes flow.
python3 "$INFRA_DIR/game_client.py" hold --port "$TCP_PORT" --clients 30 --seconds 12 \
  >"$work/clients.log" 2>&1 &
clients_pid=$!
# Wait until scrapes succeed, then long enough for rate() and histogram_quantile() over two
# samples and for the recording rules to be evaluated.
deadline=$((SECONDS + 30))
until curl -sf "$prom/api/v1/query?query=up%7Bjob%3D%22rookery%22%7D%3D%3D1" | grep -q '"value"'; do
  if ((SECONDS > deadline)); then
    fail "prometheus never scraped rookery's /metrics"
    curl -s "$prom/api/v1/targets" | head -c 2000
    echo
    exit 0
  fi
  sleep 0.5
done
pass "prometheus scrapes rookery's /metrics (up == 1)"
sleep 6
# A standalone server: the cluster panels and alerts are parsed only (the cluster suite starts
# cluster nodes, tests/cluster/run.sh).
python3 "$INFRA_DIR/prom_eval.py" --prom "$prom" --dashboard "$DASHBOARD" "${rule_args[@]}" \
  --mode series --standalone >"$work/series.log" 2>&1
status=$?
grep -E '^  (PASS|FAIL):' "$work/series.log" | sed 's/^  //; s/$/ [live]/' |
  while IFS= read -r line; do _record "$line"; done
if ((status != 0)) && ! grep -q '^  FAIL:' "$work/series.log"; then
  fail "prom_eval.py --mode series crashed"
  sed 's/^/    | /' "$work/series.log" | tail -n 20
fi
if wait "$clients_pid"; then
  pass "game clients: $(tail -n 1 "$work/clients.log")"
else
  fail "game clients: $(tail -n 3 "$work/clients.log" | tr '\n' ' ')"
fi
if stop_rookery; then
  pass "rookery exits 0 after SIGTERM (drain)"
else
  fail "rookery exit status after SIGTERM is not 0"
fi
