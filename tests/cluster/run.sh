#!/usr/bin/env bash
# The cluster suite: three hosts on one machine and the real engines a cluster runs on.
#   - a bridge with three network namespaces on it, each a host with its own address
#     (10.213.0.11-13; the bridge, this side, is 10.213.0.1);
#   - one PostgreSQL (tests/postgres/pg_server.sh; its Unix socket reaches every namespace);
#   - one Redis (Debian's redis-server 7) listening on the bridge address;
# then runs the C++ cluster tests (tests/integration/cluster_test.cpp: rookery nodes started
# inside the namespaces, kill -9, Redis restarts) and the browser test (browser.test.mjs:
# players who open the game from different nodes end up on the same board; the board's node is
# killed and they are back in their own node's lobby). Needs root (network namespaces); prints
# "N passed, M failed"; removes everything it made on exit.
#
#   tests/cluster/run.sh [gtest flags]   e.g. --gtest_filter='*Redirect*'
# Environment: CLUSTER_BROWSER=0 skips the browser test; CHROMIUM (default /usr/bin/chromium);
# CLUSTER_ARTIFACTS (default build/cluster-artifacts: screenshots, the browser nodes' logs).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${ROOKERY_BUILD_DIR:-$root/build}/bin
# shellcheck source=tests/postgres/pg_server.sh
source "$root/tests/postgres/pg_server.sh"

fail() {
  echo "cluster: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}
[[ $(id -u) -eq 0 ]] || fail "network namespaces need root (run as root, or with sudo)"
for exe in cluster_integration_test rookery; do
  [[ -x "$bin/$exe" ]] || fail "$bin/$exe is missing: build first (ops/dev/test.sh does)"
done
command -v redis-server >/dev/null || fail "redis-server is missing (apt-get install redis-server)"
command -v ip >/dev/null || fail "ip is missing (apt-get install iproute2)"

net=10.213.0
bridge=rkc-br
namespaces=(rkc-a rkc-b rkc-c)
redis_port=6390
work=$(mktemp -d "${TMPDIR:-/tmp}/rookery-cluster.XXXXXX")

# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  # The browser test runs on this side of the bridge: the namespaces' sweep below misses it.
  # timeout passes the signal on to node, and playwright closes chromium when node is stopped.
  if [[ -n ${browser_test_pid:-} ]]; then kill -TERM "$browser_test_pid" 2>/dev/null; fi
  if [[ -f "$work/redis-stop.sh" ]]; then sh "$work/redis-stop.sh"; fi
  for ns in "${namespaces[@]}"; do
    # Anything still running in a namespace goes with it.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
    ip link del "$ns-h" 2>/dev/null
  done
  ip link del "$bridge" 2>/dev/null
  pg_server_stop
  rm -rf "$work"
}
trap cleanup EXIT
# What a previous run killed before its trap may have left: its Redis, namespaces, bridge.
pkill -f "redis-server $net.1:$redis_port" 2>/dev/null
for ns in "${namespaces[@]}"; do
  ip netns del "$ns" 2>/dev/null
  ip link del "$ns-h" 2>/dev/null
done
ip link del "$bridge" 2>/dev/null

# --- the network: a bridge and three hosts on it -------------------------------------------
ip link add "$bridge" type bridge || fail "cannot create a bridge"
ip addr add "$net.1/24" dev "$bridge"
ip link set "$bridge" up
nodes=""
i=11
for ns in "${namespaces[@]}"; do
  ip netns add "$ns" || fail "cannot create network namespace $ns"
  ip link add "$ns-h" type veth peer name eth0 netns "$ns"
  ip link set "$ns-h" master "$bridge" up
  ip -n "$ns" addr add "$net.$i/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" route add default via "$net.1"
  nodes+="$ns=$net.$i "
  i=$((i + 1))
done

# --- the engines --------------------------------------------------------------------------
pg_server_start || fail "could not start PostgreSQL"
trap cleanup EXIT  # pg_server_start set its own; ours stops it too
# Redis as the tests start and stop it (a crash: kill -9; a start: empty, as after a crash).
cat >"$work/redis-start.sh" <<EOS
redis-server --port $redis_port --bind $net.1 --protected-mode no --save '' --appendonly no \\
  --dir $work --daemonize yes --pidfile $work/redis.pid --logfile $work/redis.log || exit 1
for _ in \$(seq 100); do
  # Ours answers (its pid file is there), not some other server on the port.
  if [ -s $work/redis.pid ] && redis-cli -h $net.1 -p $redis_port ping 2>/dev/null | grep -q PONG; then
    exit 0
  fi
  sleep 0.05
done
exit 1
EOS
cat >"$work/redis-stop.sh" <<EOS
[ -s $work/redis.pid ] || exit 0
pid=\$(cat $work/redis.pid)
kill -9 "\$pid"
while kill -0 "\$pid" 2>/dev/null; do sleep 0.02; done
rm -f $work/redis.pid
EOS
sh "$work/redis-start.sh" || fail "could not start redis-server ($work/redis.log)"
echo "Redis $(redis-server --version | awk '{print $3}') on $net.1:$redis_port"
for ns in "${namespaces[@]}"; do  # every host reaches it across the bridge
  ip netns exec "$ns" redis-cli -h "$net.1" -p "$redis_port" ping | grep -q PONG ||
    fail "$ns cannot reach Redis at $net.1:$redis_port"
done


export ROOKERY_TEST_PG=$PG_URL
export ROOKERY_TEST_REDIS="redis://$net.1:$redis_port"
export ROOKERY_TEST_REDIS_STOP="sh $work/redis-stop.sh"
export ROOKERY_TEST_REDIS_START="sh $work/redis-start.sh"
export ROOKERY_TEST_NODES=$nodes

passed=0
failed=0
status=0
log=$(mktemp)
echo "== cluster: C++ tests (three nodes in $nodes)"
"$bin/cluster_integration_test" "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) tests?\..*/\1/p' "$log" | tail -1)
f=$(sed -nE 's/^ *([0-9]+) FAILED TESTS?$/\1/p' "$log" | tail -1)
p=${p:-0}
f=${f:-0}
if grep -q '^\[  SKIPPED \]' "$log"; then f=$((f + 1)); fi
if ((rc != 0 && f == 0)); then f=1; fi
passed=$((passed + p))
failed=$((failed + f))
((rc == 0)) || status=1
rm -f "$log"

# --- the browser test ---------------------------------------------------------------------
# Three nodes serve the built web game from inside the namespaces (--web-root), on one database
# of their own; headless chromium on this side of the bridge opens the page from each of them.
chromium=${CHROMIUM:-/usr/bin/chromium}
art=${CLUSTER_ARTIFACTS:-$root/build/cluster-artifacts}
web_out=$work/web
browser_pids=()
browser_test_pid=""

# Counts one failure of the browser part (its set-up) and says why.
browser_setup_failed() {
  echo "cluster: browser test: $*" >&2
  failed=$((failed + 1))
  status=1
}

# npm ci in folder $1 from its lockfile; its errors go to stderr.
npm_ci() {
  # Offline first: the npm cache is enough once the packages were fetched.
  (cd "$1" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null 2>"$work/npm.log") ||
    { cat "$work/npm.log" >&2; return 1; }
}

# Starts node $3 in namespace $1 at address $2 and records its pid. The ports are fixed: each
# namespace is a host of its own. `ip netns exec` and `env` exec, so $! is rookery itself. Not a
# job of this shell (disown): the test kills node a, and the shell would announce that.
start_browser_node() {
  local ns=$1 ip=$2 id=$3
  ip netns exec "$ns" env -i PATH="$PATH" "$bin/rookery" serve --db "$browser_db" \
    --redis "redis://$net.1:$redis_port" --node-id "$id" --advertise-host "$ip" --bind "$ip" \
    --http-bind "$ip" --cluster-name "browser-$$" --threads 1 --lease-ms 3000 \
    --tcp-port 12122 --ws-port 12123 --http-port 8080 --admin-ui-root none --web-root "$web_out" \
    >"$art/$id.out" 2>"$art/$id.log" &
  browser_pids+=("$!")
  disown "$!"
}

# True once node $1 (an address) serves the page and sees all three nodes, within 20 s.
wait_browser_node() {
  local ip=$1
  for _ in $(seq 200); do
    if curl -sf "http://$ip:12123/" | grep -q 'app.js' &&
      curl -sf "http://$ip:8080/metrics" | grep -Eq '^rookery_cluster_nodes(\{[^}]*\})? 3$'; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# SIGTERM (a drain), then SIGKILL after 5 s; node a is already dead by the test's end. (The
# shell still reaps them: a pid that is gone fails kill -0.)
stop_browser_nodes() {
  local pid
  for pid in "${browser_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${browser_pids[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
  done
  browser_pids=()
}

# The "# NAME N" summary count of TAP file $2 (empty if absent).
tap_count() {
  sed -n "s/^# $1 \([0-9][0-9]*\)\$/\1/p" "$2" 2>/dev/null | tail -n 1
}

run_browser_test() {
  local tool
  for tool in node npm curl; do
    command -v "$tool" >/dev/null || { browser_setup_failed "$tool is missing"; return; }
  done
  [[ -x "$chromium" ]] || { browser_setup_failed "$chromium is missing (apt-get install chromium)"; return; }
  echo "== cluster: browser test (players on nodes a, b, c meet on one board)"
  local dir
  for dir in service/clients/js service/clients/web tests/cluster; do
    npm_ci "$root/$dir" || { browser_setup_failed "npm ci in $dir"; return; }
  done
  (cd "$root/service/clients/web" && node build.mjs "$web_out" >/dev/null) ||
    { browser_setup_failed "building the web client"; return; }
  mkdir -p "$art"
  rm -f "$art"/*.png "$art"/node-*.log "$art"/node-*.out
  pg_as_owner "$(pg_server_bin)/createdb" -h "$PG_DIR/socket" -U rookery rookery_browser ||
    { browser_setup_failed "cannot create the database"; return; }
  browser_db="postgresql://rookery@/rookery_browser?host=$PG_DIR/socket"
  # Once, before three nodes start on the empty database at the same moment.
  env -i PATH="$PATH" "$bin/rookery" migrate --db "$browser_db" >"$art/migrate.log" 2>&1 ||
    { browser_setup_failed "migrate ($art/migrate.log)"; return; }
  local i id
  for i in "${!namespaces[@]}"; do  # rkc-a at .11 is node-a, and so on
    start_browser_node "${namespaces[i]}" "$net.$((11 + i))" "node-${namespaces[i]#rkc-}"
  done
  for i in "${!namespaces[@]}"; do
    id="node-${namespaces[i]#rkc-}"
    if ! wait_browser_node "$net.$((11 + i))"; then
      browser_setup_failed "$id did not serve the page with the cluster complete ($art/$id.log)"
      stop_browser_nodes
      return
    fi
  done
  local tap=$work/browser.tap rc
  # In the background with its pid kept, so the EXIT trap can stop it (and its chromium).
  CLUSTER_PAGE_A="http://$net.11:12123/" CLUSTER_PAGE_B="http://$net.12:12123/" \
    CLUSTER_PAGE_C="http://$net.13:12123/" CLUSTER_PID_A="${browser_pids[0]}" \
    CLUSTER_ARTIFACTS="$art" CHROMIUM="$chromium" \
    timeout 150 node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$root/tests/cluster/browser.test.mjs" 2>&1 &
  browser_test_pid=$!
  wait "$browser_test_pid"
  rc=$?
  browser_test_pid=""
  stop_browser_nodes
  local p f c
  p=$(tap_count pass "$tap")
  f=$(tap_count fail "$tap")
  c=$(tap_count cancelled "$tap")
  p=${p:-0}
  f=$((${f:-0} + ${c:-0}))
  if ((rc != 0 && f == 0)); then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  ((rc == 0)) || status=1
  echo "browser test: $p passed, $f failed; screenshots and node logs in $art"
}

if [[ ${CLUSTER_BROWSER:-1} != 0 ]]; then run_browser_test; fi

echo "$passed passed, $failed failed"
exit "$status"
