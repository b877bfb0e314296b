#!/usr/bin/env bash
# The sanitizer builds and their runs (the `sanitize` suite of ops/dev/test.sh):
#   asan  build-asan/ (clang, ASan+UBSan, plus the fuzz targets' coverage instrumentation so
#         ops/dev/fuzz.sh reuses this build): the whole ctest suite, unit and integration
#   tsan  build-tsan/ (clang, TSan): the tests where threads meet: the store (writer and KDF
#         threads), the multi-shard server (server_admin_test, and the integration tests, whose
#         servers run two shards), the game core on a cluster, the cluster's own thread
# Every report is fatal (halt_on_error, -fno-sanitize-recover) and written to a report folder
# as well; a run with any report fails, even one from a server process a test started.
# Usage: ops/dev/sanitize.sh [asan|tsan]...  (default both). Prints "N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# rookery_clang_build DIR SANITIZER [TARGET...]: configures (once) and builds DIR with clang and
# ROOKERY_SANITIZE=SANITIZER (address also builds the fuzz targets), with ccache like build/.
# No browser bundles: nothing here serves them. ninja -j2: the build machines have two cores.
rookery_clang_build() {
  local dir=$1 sanitizer=$2
  shift 2
  local fuzz=OFF
  [[ $sanitizer == address ]] && fuzz=ON
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DROOKERY_SANITIZE="$sanitizer" -DROOKERY_FUZZ="$fuzz" \
      -DROOKERY_BUILD_WEB=OFF || return 1
  fi
  local targets=()
  if (($# > 0)); then targets=(--target "$@"); fi
  cmake --build "$dir" "${targets[@]}" -- -j2
}

# The sanitizers' options: every report stops the process and is written to $1/report.PID
# (one prefix for all: a runtime reads the other sanitizers' option variables too).
rookery_sanitizer_env() {
  local log="log_path=$1/report"
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:\
detect_stack_use_after_return=1:check_initialization_order=1:$log"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:$log"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:$log"
  export LSAN_OPTIONS="$log"
}

# Prints every report in folder $1 and fails if there is one.
rookery_sanitizer_reports() {
  local reports=$1 files
  mapfile -t files < <(find "$reports" -type f 2>/dev/null | sort)
  if ((${#files[@]} == 0)); then
    return 0
  fi
  local f
  for f in "${files[@]}"; do
    echo "---- sanitizer report $f"
    head -c 20000 "$f"
  done
  echo "${#files[@]} sanitizer report(s) above, kept in $reports" >&2
  return 1
}

# run_ctest NAME DIR [CTEST ARGS...]: ctest in DIR under the sanitizers; prints "N passed, M
# failed" for it, a report counting as one more failure.
run_ctest() {
  local name=$1 dir=$2
  shift 2
  local reports="$dir/sanitizer-reports" log status line total failed
  rm -rf "$reports"
  mkdir -p "$reports"
  log=$(mktemp)
  (rookery_sanitizer_env "$reports" && cd "$dir" &&
    ctest --output-on-failure --timeout 600 -j2 "$@") 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
  rm -f "$log"
  if [[ -z "$line" ]]; then
    echo "$name: ctest printed no summary (exit $status)"
    return 1
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* tests failed out of ([0-9]+).*/\1/' <<<"$line")
  if ! rookery_sanitizer_reports "$reports"; then
    failed=$((failed + 1))
    status=1
  fi
  echo "$name: $((total - failed)) passed, $failed failed"
  passed_all=$((passed_all + total - failed))
  failed_all=$((failed_all + failed))
  return "$status"
}

# The tests TSan runs: the store and its threads, two shards and the admin gather across them,
# the game core's cluster rules, the cluster thread with Redis, and the integration tests (each
# server runs --threads 2; the rookery binary is TSan-built too).
ROOKERY_TSAN_TARGETS=(rookery store_test admin_store_test backup_test store_conformance_test
  server_admin_test game_core_cluster_test redis_test cluster_test integration_test)

sanitize_asan() {
  local started=$SECONDS
  echo "== asan: building build-asan (clang, ASan+UBSan, fuzz instrumentation)"
  if ! rookery_clang_build "$root/build-asan" address; then
    echo "asan: build failed"
    failed_all=$((failed_all + 1))
    return 1
  fi
  echo "== asan: built in $((SECONDS - started)) s"
  started=$SECONDS
  # Left out: SidePortTest.AcceptBacksOffWhenFileDescriptorsRunOut runs the server out of file
  # descriptors on purpose, and then UBSan's own memory probe (it needs a pipe) fails, so its
  # vptr check reports every virtual call (a false "invalid vptr" on boost's error_category);
  # the GCC build's ctest suite runs it.
  run_ctest asan "$root/build-asan" -E '^SidePortTest\.AcceptBacksOffWhenFileDescriptorsRunOut$'
  local status=$?
  echo "== asan: tests took $((SECONDS - started)) s"
  return "$status"
}

sanitize_tsan() {
  local started=$SECONDS
  echo "== tsan: building build-tsan (clang, TSan): ${ROOKERY_TSAN_TARGETS[*]}"
  if ! rookery_clang_build "$root/build-tsan" thread "${ROOKERY_TSAN_TARGETS[@]}"; then
    echo "tsan: build failed"
    failed_all=$((failed_all + 1))
    return 1
  fi
  echo "== tsan: built in $((SECONDS - started)) s"
  started=$SECONDS
  # Only what was built: ctest names the others *_NOT_BUILT.
  run_ctest tsan "$root/build-tsan" -E '_NOT_BUILT$'
  local status=$?
  echo "== tsan: tests took $((SECONDS - started)) s"
  return "$status"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  passed_all=0
  failed_all=0
  status=0
  runs=("$@")
  if ((${#runs[@]} == 0)); then runs=(asan tsan); fi
  for run in "${runs[@]}"; do
    case "$run" in
      asan) sanitize_asan || status=1 ;;
      tsan) sanitize_tsan || status=1 ;;
      *)
        echo "unknown sanitizer run $run (asan, tsan)" >&2
        failed_all=$((failed_all + 1))
        status=1
        ;;
    esac
  done
  echo "$passed_all passed, $failed_all failed"
  exit "$status"
fi
