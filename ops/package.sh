#!/usr/bin/env bash
# Makes the release tarball that VMs install (ops/host/provision.sh, terraform/, ops/ansible/):
#   dist/rookery-VERSION-linux-ARCH.tar.gz and its .sha256, holding
#     bin/rookery                     the server (built by `ninja -C build rookery`)
#     share/rookery/admin-ui/         the built admin console, if admin-ui/dist exists
#     share/rookery/runtime-packages  Debian packages the binary needs (ops/runtime-deps.sh)
# Usage: ops/package.sh [BUILD_DIR] [OUT_DIR]   (defaults: build, dist)
# Upload the tarball where the hosts can fetch it (e.g. S3) and give Terraform its URL and
# sha256 (rookery_release_url, rookery_release_sha256).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
out=${2:-$root/dist}
binary=$build/bin/rookery
if [[ ! -x $binary ]]; then
  echo "$0: $binary not found: build it first (ninja -C build rookery)" >&2
  exit 1
fi

version=$("$binary" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
name=rookery-$version-linux-$arch
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/$name/bin" "$stage/$name/share/rookery"
install -m 0755 "$binary" "$stage/$name/bin/rookery"
"$root/ops/runtime-deps.sh" "$binary" >"$stage/$name/share/rookery/runtime-packages"
if [[ -f $root/admin-ui/dist/index.html ]]; then
  cp -r "$root/admin-ui/dist" "$stage/$name/share/rookery/admin-ui"
fi

mkdir -p "$out"
# Reproducible: fixed owner, mtime and order.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='@0' \
  -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
cat "$out/$name.tar.gz.sha256"
