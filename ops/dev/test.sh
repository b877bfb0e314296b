#!/usr/bin/env bash
# Installs what is missing, builds everything once, and runs every test: unit and integration
# (GoogleTest via ctest) and the formatting check. Used by CI (.ci/run).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=ops/dev/deps.sh
source "$root/ops/dev/deps.sh"
rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}" "${ROOKERY_TEST_PACKAGES[@]}"

echo "== build"
rookery_build "$root"

echo "== format check (clang-format, .clang-format)"
mapfile -t sources < <(cd "$root" && git ls-files 'service/*.cpp' 'service/*.hpp' 'tests/*.cpp' 'tests/*.hpp')
(cd "$root" && clang-format --dry-run --Werror "${sources[@]}")

echo "== unit and integration tests (ctest)"
cd "$root/build"
ctest --output-on-failure --timeout 300 -j2 "$@"
