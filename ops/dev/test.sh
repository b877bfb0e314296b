#!/usr/bin/env bash
# Installs what is missing, builds everything once, and runs every test suite:
#   format   clang-format check of the C++ sources
#   ctest    unit and integration tests (GoogleTest; real server, real sockets)
#   postgres the store conformance suite, fault tests and integration tests on a real PostgreSQL
#   admin    admin API over real HTTP and the admin console in headless Chromium
#   prometheus  a real Prometheus scrapes a running rookery with clients connected
#   jsunit   unit tests of the JavaScript client library and the web client (node --test)
#   web      the web game in headless Chromium against a real server
#   infra    deployment files: kustomize, schemas, terraform, cloud-init, sysctl, promtool ...
#   smoke    a short rookery-load run against a real server
#   cluster  three nodes in network namespaces, one PostgreSQL, one Redis (needs root)
#   sanitize clang ASan+UBSan build running every ctest test, TSan build running the threaded ones
#   fuzz     every libFuzzer target of tests/fuzz/ for a short bounded time (same ASan build)
# Each suite prints "N passed, M failed"; the last line here adds them up. Used by CI (.ci/run).
# Run one suite with: ops/dev/test.sh SUITE...
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=ops/dev/deps.sh
source "$root/ops/dev/deps.sh"
# shellcheck source=ops/dev/files.sh
source "$root/ops/dev/files.sh"
rookery_step "installing the build and test packages" \
  rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}" "${ROOKERY_TEST_PACKAGES[@]}"
rookery_step "installing Node.js and npm" rookery_install_node
set +e

suites=("$@")
if ((${#suites[@]} == 0)); then
  suites=(format ctest postgres cluster jsunit admin prometheus web infra smoke sanitize fuzz)
fi

total_passed=0
total_failed=0
failed_suites=()

# Adds the "N passed, M failed" found in a suite's output to the totals.
count() {
  local name=$1 log=$2 status=$3 line p f
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
  if [[ -n "$line" ]]; then
    p=${line%% passed*}
    f=${line#*, }
    f=${f%% failed*}
  elif [[ $status -eq 0 ]]; then
    p=1 f=0
  else
    p=0 f=1
  fi
  if [[ $status -ne 0 && $f -eq 0 ]]; then f=1; fi
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  if [[ $status -ne 0 ]]; then failed_suites+=("$name"); fi
  echo "== $name: $p passed, $f failed (exit $status)"
}

run_suite() {
  local name=$1
  shift
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/rookery-$name.XXXXXX")
  echo "== $name"
  local started=$SECONDS
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  echo "== $name took $((SECONDS - started)) s"
  count "$name" "$log" "$status"
  rm -f "$log"
}

ctest_suite() {
  cd "$root/build" || return 1
  local log status
  log=$(mktemp)
  ctest --output-on-failure --timeout 300 -j2 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # "100% tests passed, 0 tests failed out of 160" -> "160 passed, 0 failed"
  local line total failed
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  if [[ -n "$line" ]]; then
    failed=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    total=$(sed -E 's/.* tests failed out of ([0-9]+).*/\1/' <<<"$line")
    echo "$((total - failed)) passed, $failed failed"
  fi
  rm -f "$log"
  return "$status"
}

js_unit_suite() {
  local dir log pass=0 fail=0 status=0 p f
  log=$(mktemp)
  for dir in service/clients/js service/clients/web; do
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error && npm test) 2>&1 | tee "$log" ||
      status=1
    p=$(sed -nE 's/^# pass ([0-9]+)/\1/p' "$log" | tail -1)
    f=$(sed -nE 's/^# fail ([0-9]+)/\1/p' "$log" | tail -1)
    pass=$((pass + ${p:-0}))
    fail=$((fail + ${f:-0}))
  done
  rm -f "$log"
  echo "$pass passed, $fail failed"
  return "$status"
}

# clang-format over every C++ file of ours, found the same way with or without .git.
format_suite() {
  cd "$root" || return 1
  local files
  mapfile -t files < <(rookery_files "$root" 'service/*.cpp' 'service/*.hpp' 'tests/*.cpp' \
    'tests/*.hpp')
  if ((${#files[@]} == 0)); then
    echo "format: no C++ files found under service/ and tests/"
    echo "0 passed, 1 failed"
    return 1
  fi
  echo "clang-format: checking ${#files[@]} files"
  clang-format --dry-run --Werror "${files[@]}" && echo "${#files[@]} passed, 0 failed"
}

# sanitize and fuzz build their own trees (build-asan/, build-tsan/); only the others need build/.
needs_build=0
for suite in "${suites[@]}"; do
  case "$suite" in
    sanitize | fuzz) ;;
    *) needs_build=1 ;;
  esac
done
if ((needs_build)); then
  echo "== build"
  if ! rookery_build "$root"; then
    echo "0 passed, 1 failed"
    exit 1
  fi
fi

for suite in "${suites[@]}"; do
  case "$suite" in
    format) run_suite format format_suite ;;
    ctest) run_suite ctest ctest_suite ;;
    postgres) run_suite postgres bash "$root/tests/postgres/run.sh" ;;
    jsunit) run_suite jsunit js_unit_suite ;;
    admin) run_suite admin bash "$root/tests/admin/run.sh" ;;
    prometheus) run_suite prometheus bash "$root/tests/admin/prometheus/prometheus.sh" ;;
    web) run_suite web bash "$root/tests/e2e/run.sh" ;;
    infra) run_suite infra bash "$root/tests/infra/run.sh" ;;
    smoke) run_suite smoke bash "$root/tests/bench/smoke_test.sh" ;;
    cluster) run_suite cluster bash "$root/tests/cluster/run.sh" ;;
    sanitize) run_suite sanitize bash "$root/ops/dev/sanitize.sh" ;;
    fuzz) run_suite fuzz bash "$root/ops/dev/fuzz.sh" ;;
    *) echo "unknown suite $suite" >&2; total_failed=$((total_failed + 1)) ;;
  esac
done

if ((${#failed_suites[@]} > 0)); then
  echo "== failed suites: ${failed_suites[*]}"
fi
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
