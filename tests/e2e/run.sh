#!/usr/bin/env bash
# Browser end-to-end tests of the SpellTraction web client.
#
#   tests/e2e/run.sh
#
# Installs what is missing (Debian chromium, npm packages from the committed lockfiles), builds
# the web client, starts build/bin/rookery on free ports with a temporary database serving the
# built client (--web-root), runs the Playwright tests (playwright-core + headless chromium),
# saves screenshots in build/e2e-artifacts/, stops the server and ends with "N passed, M failed".
#
# Environment: ROOKERY_BIN (default build/bin/rookery), CHROMIUM (default /usr/bin/chromium),
# E2E_ARTIFACTS (default build/e2e-artifacts), E2E_HOLD_MS (default 600).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROOKERY_BIN="${ROOKERY_BIN:-$ROOT/build/bin/rookery}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
ART="${E2E_ARTIFACTS:-$ROOT/build/e2e-artifacts}"
HOLD_MS="${E2E_HOLD_MS:-600}"
WEB_OUT="$ROOT/build/e2e-web"

say() { printf '[e2e] %s\n' "$*" >&2; }
fail_setup() {
  say "setup failed: $*"
  echo "0 passed, 1 failed"
  exit 1
}

# --- 1. tools -------------------------------------------------------------------------------
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO="sudo"
if [ ! -x "$CHROMIUM" ]; then
  say "installing Debian chromium"
  $SUDO apt-get install -y chromium >/dev/null 2>&1 ||
    { $SUDO apt-get update >/dev/null 2>&1 && $SUDO apt-get install -y chromium >/dev/null 2>&1; } ||
    fail_setup "cannot install chromium (apt-get install -y chromium)"
fi
command -v node >/dev/null || fail_setup "node (>= 18) is required"
command -v npm >/dev/null || fail_setup "npm is required"
[ -x "$ROOKERY_BIN" ] || fail_setup "$ROOKERY_BIN not found: build it first (ninja -C build rookery)"

npm_ci() {
  # Offline first: the npm cache is enough once the packages were fetched.
  (cd "$1" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >/dev/null 2>"$TMP/npm.log") ||
    { cat "$TMP/npm.log" >&2; fail_setup "npm ci in $1"; }
}

TMP="$(mktemp -d "${TMPDIR:-/tmp}/rookery-e2e.XXXXXX")"
SERVER_PID=""
STATIC_PID=""
cleanup() {
  for pid in $STATIC_PID $SERVER_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

say "installing npm packages"
npm_ci "$ROOT/service/clients/js"
npm_ci "$ROOT/service/clients/web"
npm_ci "$ROOT/tests/e2e"

# --- 2. build the web client ------------------------------------------------------------------
say "building the web client into $WEB_OUT"
(cd "$ROOT/service/clients/web" && node build.mjs "$WEB_OUT" >&2) || fail_setup "web client build"

# --- 3. start the server ----------------------------------------------------------------------
# "serve" first: the command word is accepted whatever comes after it.
HELP="$(timeout 10 "$ROOKERY_BIN" serve --help 2>/dev/null || true)"
ARGS=(serve --tcp-port 0 --ws-port 0 --http-port 0 --db "$TMP/e2e.db"
  --spelltraction-hold-ms "$HOLD_MS" --reconnect-grace-ms 20000)
WEB_ROOT=0
if grep -q -- '--web-root' <<<"$HELP"; then
  ARGS+=(--web-root "$WEB_OUT")
  WEB_ROOT=1
fi
mkdir -p "$ART"
rm -f "$ART"/*.png
"$ROOKERY_BIN" "${ARGS[@]}" >"$TMP/server.out" 2>"$ART/server.log" &
SERVER_PID=$!
WS_URL=""
for _ in $(seq 1 100); do
  WS_URL="$(sed -n 's/^ *Game, WebSocket: *\(ws:[^ ]*\).*/\1/p' "$TMP/server.out" | head -n 1)"
  [ -n "$WS_URL" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$WS_URL" ]; then
  cat "$TMP/server.out" "$ART/server.log" >&2
  fail_setup "rookery did not start"
fi
say "rookery is up: $WS_URL"

HTTP_URL="http://${WS_URL#ws://}"
if [ "$WEB_ROOT" = 1 ] && ! node -e '
  fetch(process.argv[1]).then(async (r) => {
    const body = await r.text();
    process.exit(r.ok && body.includes("app.js") ? 0 : 1);
  }).catch(() => process.exit(1));' "$HTTP_URL"; then
  say "rookery took --web-root but GET / did not return the page"
  WEB_ROOT=0
fi
if [ "$WEB_ROOT" = 1 ]; then
  PAGE_URL="$HTTP_URL"
else
  say "the page is not served by rookery (no --web-root yet): using tests/e2e/static-server.mjs"
  node "$ROOT/tests/e2e/static-server.mjs" "$WEB_OUT" 0 >"$TMP/static.out" 2>&1 &
  STATIC_PID=$!
  STATIC_URL=""
  for _ in $(seq 1 50); do
    STATIC_URL="$(sed -n 's/^Static web client: *\(http:[^ ]*\).*/\1/p' "$TMP/static.out" | head -n 1)"
    [ -n "$STATIC_URL" ] && break
    sleep 0.1
  done
  [ -n "$STATIC_URL" ] || fail_setup "static server did not start"
  PAGE_URL="${STATIC_URL}?server=${WS_URL}"
fi
say "page: $PAGE_URL"

# --- 4. run the tests -------------------------------------------------------------------------
# The browser tests, and the JS library's own test against this server (over the `ws` package
# where node has no WebSocket of its own).
TAP="$TMP/e2e.tap"
(cd "$ROOT/tests/e2e" &&
  E2E_PAGE_URL="$PAGE_URL" E2E_ARTIFACTS="$ART" E2E_HOLD_MS="$HOLD_MS" CHROMIUM="$CHROMIUM" \
    ROOKERY_WS_URL="$WS_URL" \
    node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$TAP" \
    spelltraction.test.mjs "$ROOT/service/clients/js/test/integration.test.js" 2>&1)
RC=${PIPESTATUS[0]}

# --- 5. summary ---------------------------------------------------------------------------------
count() { sed -n "s/^# $1 \([0-9][0-9]*\)\$/\1/p" "$TAP" | tail -n 1; }
PASS="$(count pass)"
FAIL="$(count fail)"
SKIP="$(count skipped)"
CANCELLED="$(count cancelled)"
PASS="${PASS:-0}"
FAIL=$(( ${FAIL:-0} + ${CANCELLED:-0} ))
if [ "$RC" -ne 0 ] && [ "$FAIL" -eq 0 ]; then FAIL=1; fi
say "screenshots: $(cd "$ART" && find . -maxdepth 1 -name '*.png' -printf '%f ' 2>/dev/null)(in $ART)"
[ "${SKIP:-0}" -gt 0 ] && say "${SKIP} skipped (see the SKIP lines above)"
echo "${PASS} passed, ${FAIL} failed"
[ "$FAIL" -eq 0 ]
