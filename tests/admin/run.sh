#!/usr/bin/env bash
# Admin console and admin API tests against a real server.
#
#   tests/admin/run.sh
#
# Installs the npm dependencies (npm ci), builds admin-ui/ into admin-ui/dist, starts
# build/bin/rookery on free ports with a fresh database and the built console
# (--admin-ui-root), creates an operator and a viewer through the API, then runs:
#   1. API tests over real HTTP (node --test tests/admin/api/*.test.mjs)
#   2. browser end-to-end tests (headless Debian Chromium via playwright-core)
#   3. the drain test, which stops the server
# Screenshots and the server's logs land in build/admin-artifacts/. The last line is
# "N passed, M failed"; the exit status is 0 only when nothing failed.
#
# Environment: ROOKERY_BIN (default build/bin/rookery), CHROMIUM (default /usr/bin/chromium),
# ROOKERY_ADMIN_ARTIFACTS (default build/admin-artifacts).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${ROOKERY_BIN:-$root/build/bin/rookery}
artifacts=${ROOKERY_ADMIN_ARTIFACTS:-$root/build/admin-artifacts}
chromium=${CHROMIUM:-/usr/bin/chromium}
dist=$root/admin-ui/dist

passed=0
failed=0
server_pid=
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rookery-admin-tests.XXXXXX")

log() { printf '== %s\n' "$*"; }
finish() {
  local code=$1
  echo "$passed passed, $failed failed"
  exit "$code"
}
fatal() {
  echo "run.sh: $*" >&2
  failed=$((failed + 1))
  cleanup
  finish 1
}
stop_server() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  server_pid=
}
cleanup() {
  stop_server
  if [[ -d $tmp ]]; then
    [[ -f $tmp/server.out ]] && cp "$tmp/server.out" "$artifacts/server.stdout.log" 2>/dev/null
    [[ -f $tmp/server.err ]] && cp "$tmp/server.err" "$artifacts/server.log" 2>/dev/null
    rm -rf "$tmp"
  fi
}
trap 'cleanup' EXIT
trap 'echo "run.sh: interrupted" >&2; cleanup; finish 130' INT TERM

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

mkdir -p "$artifacts"

# --- tools ---------------------------------------------------------------------------------
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  fatal "node and npm are required (Debian: apt-get install nodejs npm)"
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 18)) || fatal "node 18 or newer is required (found $(node --version))"
if [[ ! -x $chromium ]]; then
  log "installing chromium (Debian package)"
  if ! { as_root apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null; }; then
    fatal "cannot install chromium"
  fi
fi
[[ -x $bin ]] || fatal "$bin not found: build it first (ninja -C build rookery)"
# Read the whole help first: `| grep -q` would stop reading at the match, and under pipefail
# the writer's SIGPIPE would fail the check once the help text is long enough.
help_text=$(timeout 20 "$bin" serve --help </dev/null 2>/dev/null)
grep -q -- '--admin-ui-root' <<<"$help_text" ||
  fatal "$bin has no --admin-ui-root flag: rebuild it (ninja -C build rookery)"

# --- npm dependencies and the console build ---------------------------------------------------
log "npm ci (admin-ui, tests/admin)"
(cd "$root/admin-ui" && npm ci --no-audit --no-fund --loglevel=error) || fatal "npm ci in admin-ui failed"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) || fatal "npm ci in tests/admin failed"
log "building admin-ui -> $dist"
(cd "$root/admin-ui" && node build.mjs "$dist") || fatal "admin-ui build failed"

# --- the server ------------------------------------------------------------------------------
admin_password=$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')
export ROOKERY_TEST_ADMIN_USER=admin
export ROOKERY_TEST_ADMIN_PASSWORD=$admin_password
export ROOKERY_TEST_OPERATOR_USER=operator1
export ROOKERY_TEST_OPERATOR_PASSWORD=operator-pass-1
export ROOKERY_TEST_VIEWER_USER=viewer1
export ROOKERY_TEST_VIEWER_PASSWORD=viewer-pass-1
export ROOKERY_TEST_ARTIFACTS=$artifacts
export CHROMIUM=$chromium

log "starting $bin"
rm -f "$artifacts"/*.png "$artifacts"/*.log
ROOKERY_ADMIN_USER=admin ROOKERY_ADMIN_PASSWORD=$admin_password \
  "$bin" serve --bind 127.0.0.1 --tcp-port 0 --ws-port 0 --http-bind 127.0.0.1 --http-port 0 \
  --db "$tmp/r.db" --admin-ui-root "$dist" --threads 2 --max-connections 2000 \
  --shutdown-deadline-ms 5000 \
  >"$tmp/server.out" 2>"$tmp/server.err" </dev/null &
server_pid=$!

# The ports chosen by the kernel are printed on stdout once the server is ready.
tcp_port=
http_port=
for _ in $(seq 1 300); do
  tcp_port=$(sed -n 's|.*raw TCP: *tcp://[^ ]*:\([0-9][0-9]*\).*|\1|p' "$tmp/server.out" | head -n1)
  http_port=$(sed -n 's|.*Admin console: *http://[^ ]*:\([0-9][0-9]*\)/admin/.*|\1|p' "$tmp/server.out" | head -n1)
  [[ -n $tcp_port && -n $http_port ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $tcp_port || -z $http_port ]]; then
  echo "--- server stdout"; cat "$tmp/server.out"; echo "--- server stderr"; tail -n 40 "$tmp/server.err"
  fatal "the server did not report its ports"
fi
export ROOKERY_TEST_HTTP=http://127.0.0.1:$http_port
export ROOKERY_TEST_TCP_PORT=$tcp_port
export ROOKERY_TEST_PID=$server_pid
log "server pid $server_pid: game tcp port $tcp_port, side-port $ROOKERY_TEST_HTTP"
node "$here/lib/setup.mjs" || fatal "set-up against the server failed (see $artifacts/server.log)"

# --- the test phases -------------------------------------------------------------------------
# Each phase is one `node --test` run; its TAP copy gives the counts.
run_phase() {
  local name=$1
  shift
  log "$name"
  local tap=$tmp/$name.tap
  # One file at a time; a phase that hangs is stopped (node 18 has no --test-timeout).
  (cd "$here" && timeout --kill-after=10 1200 node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" "$@")
  local rc=$?
  local p f c
  p=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
  f=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
  c=$(sed -n 's/^# cancelled \([0-9][0-9]*\)$/\1/p' "$tap" 2>/dev/null | tail -n1)
  if [[ -z $p || -z $f ]]; then
    echo "run.sh: phase $name ended without a test summary (exit $rc)" >&2
    failed=$((failed + 1))
    return
  fi
  passed=$((passed + p))
  failed=$((failed + f + ${c:-0}))
  if ((rc != 0 && f + ${c:-0} == 0)); then
    echo "run.sh: phase $name exited $rc with no failed test" >&2
    failed=$((failed + 1))
  fi
}

run_phase api api/auth.test.mjs api/csrf.test.mjs api/input.test.mjs api/rooms.test.mjs \
  api/players.test.mjs api/audit.test.mjs api/http.test.mjs
run_phase e2e e2e/console.test.mjs
run_phase drain drain/drain.test.mjs

# After the drain the server exits by itself, with status 0.
log "server exit after the drain"
exited=0
for _ in $(seq 1 300); do
  if ! kill -0 "$server_pid" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$server_pid/stat" 2>/dev/null) == Z ]]; then
    exited=1
    break
  fi
  sleep 0.1
done
if ((exited)); then
  wait "$server_pid"
  code=$?
  server_pid=
  if ((code == 0)); then
    echo "ok: the server exited with status 0 after the drain"
    passed=$((passed + 1))
  else
    echo "not ok: the server exited with status $code after the drain" >&2
    failed=$((failed + 1))
  fi
else
  echo "not ok: the server was still running 30 s after the drain" >&2
  failed=$((failed + 1))
fi

cleanup
shots=$(cd "$artifacts" && find . -maxdepth 1 -name '*.png' -printf '%f ' 2>/dev/null)
log "artifacts in $artifacts: ${shots:-no screenshots}"
if ((failed == 0)); then finish 0; else finish 1; fi
