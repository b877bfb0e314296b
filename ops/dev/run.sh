#!/usr/bin/env bash
# Installs what is missing (Debian 12 packages, see ops/dev/deps.sh), builds the server with the
# admin console and the web game (one CMake build), and starts Rookery on its embedded default
# (SQLite under ./data/). Extra arguments go to the server, e.g. ops/dev/run.sh --threads 1.
# Every step says what it does; a failing step says which one and exits non-zero.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=ops/dev/deps.sh
source "$root/ops/dev/deps.sh"

rookery_step "installing the build packages" rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}"
rookery_step "installing Node.js and npm" rookery_install_node
rookery_step "building the server, the admin console and the web game" \
  rookery_build "$root" rookery rookery_admin-ui_bundle rookery_web_bundle

cd "$root"
mkdir -p data
# The server finds the console and the game beside its executable (build/share/rookery/), and
# on the first start creates the console user `admin` with its password in data/admin-password.
echo "run.sh: starting build/bin/rookery (Ctrl-C stops it)"
exec "$root/build/bin/rookery" serve "$@"
