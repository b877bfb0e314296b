#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries a binary links against, one per
# line, sorted. The container build (ops/container/Containerfile) and the release tarball
# (ops/package.sh) use it, so the runtime package list follows the build instead of being kept
# by hand. Run on the Debian system the binary was built on.
#   ops/runtime-deps.sh build/bin/rookery
set -euo pipefail

if [[ $# -ne 1 || ! -x $1 ]]; then
  echo "usage: $0 EXECUTABLE" >&2
  exit 2
fi

declare -A packages=()
while read -r lib; do
  [[ -n $lib ]] || continue
  # dpkg knows the path it installed, which may differ from ldd's by the /usr merge.
  real=$(readlink -f "$lib")
  owner=""
  for candidate in "$lib" "$real" "${lib#/usr}" "/usr${lib}" "${real#/usr}" "/usr${real}"; do
    if owner=$(dpkg-query -S "$candidate" 2>/dev/null); then
      break
    fi
    owner=""
  done
  if [[ -z $owner ]]; then
    echo "$0: no Debian package owns $lib" >&2
    exit 1
  fi
  pkg=${owner%%:*}
  packages[$pkg]=1
done < <(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}')

printf '%s\n' "${!packages[@]}" | sort
