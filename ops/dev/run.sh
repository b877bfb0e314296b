#!/usr/bin/env bash
# Installs what is missing, builds, and starts Rookery on its embedded default (SQLite under
# ./data/). Extra arguments go to the server, e.g. ops/dev/run.sh --threads 1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=ops/dev/deps.sh
source "$root/ops/dev/deps.sh"
rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}"
rookery_build "$root" rookery
cd "$root"
exec "$root/build/bin/rookery" "$@"
