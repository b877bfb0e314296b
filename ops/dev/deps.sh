#!/usr/bin/env bash
# Installs the Debian 12 packages Rookery needs to build and test, skipping those present.
# Sourced by run.sh and test.sh; safe to run on its own. Everything comes from Debian 12's own
# archive (Node.js included: its nodejs 18 and npm 9 build and test every JavaScript part);
# npm packages come from the npm registry, pinned by each package-lock.json.
set -euo pipefail

ROOKERY_BUILD_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost1.81-all-dev libboost-json1.81-dev
  libprotobuf-dev protobuf-compiler
  libsqlite3-dev sqlite3 libsodium-dev prometheus-cpp-dev libpq-dev libhiredis-dev
  libgtest-dev googletest
)
# Browser tests drive Debian's Chromium with playwright-core from npm; the postgres suite starts
# Debian's PostgreSQL 15 server (postgresql) in a temporary folder; the cluster tests start
# Debian's Redis 7 (redis-server) on free loopback ports; the cluster suite makes its three hosts
# with network namespaces (iproute2's ip). The sanitize and fuzz suites build with Debian's
# clang 14 (clang-14); its sanitizer and libFuzzer runtimes (libclang_rt.*, FuzzedDataProvider.h)
# are libclang-rt-14-dev, which clang only recommends, and llvm-symbolizer (llvm-14) gives the
# reports file and line numbers.
ROOKERY_TEST_PACKAGES=(clang-format chromium shellcheck prometheus curl python3 postgresql
  redis-server iproute2 clang-14 libclang-rt-14-dev llvm-14)

rookery_install_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  echo "Installing: ${missing[*]}"
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# Node.js and npm build the admin console and the web client: Debian 12's nodejs (18) is
# enough; a newer one already on the PATH is used as it is.
ROOKERY_NODE_MIN=18
rookery_install_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    rookery_install_packages nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if ((major < ROOKERY_NODE_MIN)); then
    echo "Node.js $ROOKERY_NODE_MIN or newer is needed; $(command -v node) is $(node --version)" >&2
    return 1
  fi
}

# rookery_step WHAT COMMAND...: runs COMMAND; if it fails, says which step failed and with what
# status, and exits with that status (so no failure passes silently).
rookery_step() {
  local what=$1 status=0
  shift
  echo "== $what"
  "$@" || status=$?
  if ((status != 0)); then
    echo "FAILED: $what (exit status $status; the output above says why)" >&2
    exit "$status"
  fi
}

# Configures (once) and builds the tree into build/ with ccache, so repeated runs are quick.
rookery_build() {
  local root=$1
  shift
  local type=${ROOKERY_BUILD_TYPE:-RelWithDebInfo}
  if [[ ! -f "$root/build/build.ninja" ]]; then
    cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE="$type"
  fi
  cmake --build "$root/build" -- "$@"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  rookery_step "installing the build and test packages" \
    rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}" "${ROOKERY_TEST_PACKAGES[@]}"
  rookery_step "installing Node.js and npm" rookery_install_node
fi
