#!/usr/bin/env bash
# The PostgreSQL suite: starts a throwaway PostgreSQL server (pg_server.sh: a temporary folder,
# Unix socket only, run as `nobody` when we are root), then runs against it
#   1. the store conformance suite (store_conformance_test, its Postgres half),
#   2. the fault tests (pg_fault_test: the server is stopped and started under a live store),
#   3. the integration tests (integration_test: real rookery processes with --db postgresql://).
# Prints "N passed, M failed" over all three; stops the server and removes its folder on exit.
# Needs a built tree (ops/dev/test.sh builds it; ROOKERY_BUILD_DIR overrides build/).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${ROOKERY_BUILD_DIR:-$root/build}/bin
# shellcheck source=tests/postgres/pg_server.sh
source "$root/tests/postgres/pg_server.sh"

for exe in store_conformance_test pg_fault_test integration_test rookery; do
  if [[ ! -x "$bin/$exe" ]]; then
    echo "$bin/$exe is missing: build first (ops/dev/test.sh does)"
    echo "0 passed, 1 failed"
    exit 1
  fi
done
if ! pg_server_start; then
  echo "could not start PostgreSQL"
  echo "0 passed, 1 failed"
  exit 1
fi
export ROOKERY_TEST_PG=$PG_URL ROOKERY_TEST_PG_STOP=$PG_STOP ROOKERY_TEST_PG_START=$PG_START

passed=0
failed=0
status=0
# Runs one GoogleTest binary and adds its counts.
run_gtest() {
  local name=$1 log p f
  shift
  log=$(mktemp)
  echo "== postgres: $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) tests?\..*/\1/p' "$log" | tail -1)
  f=$(sed -nE 's/^ *([0-9]+) FAILED TESTS?$/\1/p' "$log" | tail -1)
  p=${p:-0}
  f=${f:-0}
  if ((rc != 0 && f == 0)); then f=1; fi
  if grep -q '^\[  SKIPPED \]' "$log"; then
    echo "postgres: $name skipped tests: the server was not reachable"
    f=$((f + 1))
  fi
  rm -f "$log"
  passed=$((passed + p))
  failed=$((failed + f))
  if ((rc != 0)); then status=1; fi
}

run_gtest conformance "$bin/store_conformance_test" --gtest_filter='*/Postgres.*'
run_gtest faults "$bin/pg_fault_test"
run_gtest integration "$bin/integration_test"

pg_server_stop
echo "$passed passed, $failed failed"
exit "$status"
