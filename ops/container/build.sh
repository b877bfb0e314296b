#!/usr/bin/env bash
# Builds Rookery's container image with podman: localhost/rookery:VERSION and :latest.
#
#   ops/container/build.sh [--tag NAME:TAG]
#
# Uses ops/container/containers.conf (runc, cgroupfs, host network, nofile ulimit). The Debian 12
# base images come from a registry when one is reachable; when `debian:bookworm` cannot be
# pulled (no registry, as on the project's machines), they are made here: debootstrap from the
# Debian mirror apt is configured with, then `podman import` (bookworm, and bookworm-slim with
# documentation and locales left out, like the official slim image).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$root/ops/container/containers.conf}
BASE=docker.io/library/debian:bookworm
SLIM=docker.io/library/debian:bookworm-slim

version=$(sed -n 's/^project(rookery VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")
tags=("localhost/rookery:${version:-dev}" "localhost/rookery:latest")
while (($#)); do
  case $1 in
    --tag) tags=("$2"); shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { printf 'build.sh: %s\n' "$*" >&2; }

# shellcheck source=ops/dev/debian-root.sh
source "$root/ops/dev/debian-root.sh"
# shellcheck source=ops/dev/files.sh
source "$root/ops/dev/files.sh"

make_base_images() {
  local rootfs
  rootfs=$(mktemp -d /var/tmp/rookery-bookworm.XXXXXX)
  trap 'rm -rf "$rootfs"' RETURN
  log "making $BASE with debootstrap"
  rookery_make_debian_root "$rootfs"
  tar --numeric-owner -C "$rootfs" -c . |
    podman import --change 'CMD ["bash"]' - "$BASE" >/dev/null
  # Slim: no documentation, manual pages or locales, now or from later installs.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-minimal" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  tar --numeric-owner -C "$rootfs" -c . |
    podman import --change 'CMD ["bash"]' - "$SLIM" >/dev/null
  log "made $BASE and $SLIM"
}

if ! podman image exists "$BASE" || ! podman image exists "$SLIM"; then
  if timeout 60 podman pull -q "$BASE" >/dev/null 2>&1 && timeout 60 podman pull -q "$SLIM" >/dev/null 2>&1; then
    log "pulled $BASE and $SLIM"
  else
    make_base_images
  fi
fi

# Build context: the project's own files (ops/dev/files.sh, the same with or without .git), so
# build/, node_modules/ and local databases never enter the image.
context=$(mktemp -d /var/tmp/rookery-context.XXXXXX)
trap 'rm -rf "$context"' EXIT
(cd "$root" && rookery_files "$root" | tar -T - -c) | tar -C "$context" -x

tag_args=()
for t in "${tags[@]}"; do tag_args+=(--tag "$t"); done
# npm (admin console) must trust what the host trusts, e.g. a TLS-inspecting proxy's CA.
ca_args=()
host_ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
if [[ -f $host_ca ]]; then
  ca_args=(--volume "$host_ca:/run/host-ca-bundle.crt:ro" --build-arg HOST_CA_BUNDLE=/run/host-ca-bundle.crt)
fi
log "building ${tags[*]}"
podman build --format docker --network host --file "$root/ops/container/Containerfile" \
  "${ca_args[@]}" "${tag_args[@]}" "$context"
