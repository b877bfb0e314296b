#!/usr/bin/env bash
# The fuzz targets of tests/fuzz/ (the `fuzz` suite of ops/dev/test.sh): builds them in
# build-asan/ (the ASan+UBSan build that ops/dev/sanitize.sh runs ctest in, so CI builds it once)
# and runs each for a bounded time from its seed corpus (tests/fuzz/corpus/<target>/, never
# written to: new inputs go to a scratch corpus). A target passes when it ran its time without a
# crash, a sanitizer report, a timeout or running out of memory; what failed is kept in
# build-asan/fuzz-artifacts/<target>/ (add it to the corpus once the defect is fixed).
# Usage: ops/dev/fuzz.sh [TARGET...]   (default every target)
#   ROOKERY_FUZZ_SECONDS  seconds per target (default 25); docs/fuzzing.md has the long run
#   ROOKERY_FUZZ_JOBS     fuzzing processes per target (default 1)
# Prints each target's executions and "N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=ops/dev/sanitize.sh
source "$root/ops/dev/sanitize.sh"

seconds=${ROOKERY_FUZZ_SECONDS:-25}
jobs=${ROOKERY_FUZZ_JOBS:-1}
build="$root/build-asan"
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(cd "$root/tests/fuzz" && find . -maxdepth 1 -name 'fuzz_*.cpp' |
    sed -E 's|^\./||; s|\.cpp$||' | sort)
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: no targets found in tests/fuzz/"
  echo "0 passed, 1 failed"
  exit 1
fi

# The targets write temporary files (a config file per input, SQLite databases): in memory,
# ext4 would flush each rewritten file to disk and cut the executions per second 20-fold.
if [[ -z "${TMPDIR:-}" && -d /dev/shm && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi

started=$SECONDS
echo "== fuzz: building ${targets[*]} in build-asan"
if ! rookery_clang_build "$build" address "${targets[@]}"; then
  echo "fuzz: build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "== fuzz: built in $((SECONDS - started)) s"

passed=0
failed=0
total_execs=0
for target in "${targets[@]}"; do
  seeds="$root/tests/fuzz/corpus/$target"
  artifacts="$build/fuzz-artifacts/$target"
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/rookery-fuzz-$target.XXXXXX")
  rm -rf "$artifacts"
  mkdir -p "$artifacts"
  if [[ ! -d "$seeds" ]]; then
    echo "fuzz: $target has no seed corpus ($seeds)"
    rm -rf "$scratch"
    failed=$((failed + 1))
    continue
  fi
  log="$scratch/log"
  flags=()
  if ((jobs > 1)); then flags=(-jobs="$jobs" -workers="$jobs"); fi
  # These run a whole server (threads, a store, state kept across inputs), so nearly every input
  # looks like a leak to libFuzzer's per-input check, whose heap scan would then cost 10 ms per
  # input; LeakSanitizer still checks the process when it exits.
  case "$target" in
    fuzz_session | fuzz_side_port) flags+=(-detect_leaks=0) ;;
  esac
  echo "== fuzz: $target for ${seconds} s"
  # -timeout: one input running 25 s is a hang; -rss_limit_mb: a leak or a blow-up. Every
  # sanitizer report is fatal (UBSan by -fno-sanitize-recover), so libFuzzer keeps the input.
  (cd "$scratch" &&
    ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=print_stacktrace=1 "$build/bin/$target" -max_total_time="$seconds" \
      -timeout=25 -rss_limit_mb=4096 -print_final_stats=1 "${flags[@]}" \
      -artifact_prefix="$artifacts/" "$scratch" "$seeds") >"$log" 2>&1
  status=$?
  if ((jobs > 1)); then cat "$scratch"/fuzz-*.log >>"$log" 2>/dev/null; fi
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" |
    awk '{s += $1} END {print s + 0}')
  total_execs=$((total_execs + execs))
  grep -E '^#[0-9]+ +(INITED|DONE)' "$log" | tail -2
  crashes=$(find "$artifacts" -type f | wc -l)
  if ((status == 0 && crashes == 0)); then
    echo "fuzz: $target passed: $execs executions in ${seconds} s"
    passed=$((passed + 1))
  else
    echo "fuzz: $target FAILED (exit $status): $execs executions; its log:"
    tail -n 80 "$log"
    echo "fuzz: reproducer(s) in $artifacts: run $build/bin/$target FILE"
    failed=$((failed + 1))
  fi
  rm -rf "$scratch"
done
echo "fuzz: $total_execs executions in all, $((SECONDS - started)) s"
echo "$passed passed, $failed failed"
((failed == 0))
