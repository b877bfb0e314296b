#!/usr/bin/env bash
# The cluster suite: three hosts on one machine and the real engines a cluster runs on.
#   - a bridge with three network namespaces on it, each a host with its own address
#     (10.213.0.11-13; the bridge, this side, is 10.213.0.1);
#   - one PostgreSQL (tests/postgres/pg_server.sh; its Unix socket reaches every namespace);
#   - one Redis (Debian's redis-server 7) listening on the bridge address;
# then runs the C++ cluster tests (tests/integration/cluster_test.cpp: rookery nodes started
# inside the namespaces, kill -9, Redis restarts) and the browser test (two players on
# different nodes end up on the same board). Needs root (network namespaces); prints
# "N passed, M failed"; removes everything it made on exit.
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

echo "$passed passed, $failed failed"
exit "$status"
