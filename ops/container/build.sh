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

# The first Debian archive URI apt uses for `suite` (deb822 .sources or one-line .list files).
apt_uri() {
  local suite=$1 default=$2 uri
  uri=$(
    {
      cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$suite" '
        /^URIs:/ {u = $2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == s) print u}'
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk -v s="$suite" '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i == s) {print $(i - 1); break}}'
    } | grep -m1 -E '^https?://' || true
  )
  echo "${uri:-$default}"
}

make_base_images() {
  local mirror security rootfs
  mirror=$(apt_uri bookworm http://deb.debian.org/debian)
  security=$(apt_uri bookworm-security http://deb.debian.org/debian-security)
  rootfs=$(mktemp -d /var/tmp/rookery-bookworm.XXXXXX)
  trap 'rm -rf "$rootfs"' RETURN
  log "making $BASE with debootstrap from $mirror"
  debootstrap --variant=minbase --components=main bookworm "$rootfs" "$mirror" >/dev/null
  cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -f "$rootfs/etc/apt/sources.list"
  # A mirror frozen at a date (a snapshot) has Release files past their Valid-Until: carry the
  # host's apt settings for that into the image.
  grep -l -E 'Check-Valid-Until|Check-Date' /etc/apt/apt.conf.d/* 2>/dev/null |
    while read -r conf; do cp "$conf" "$rootfs/etc/apt/apt.conf.d/"; done
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
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

# Build context: the files git knows (tracked and new, not ignored), so build/, node_modules/
# and local databases never enter the image.
context=$(mktemp -d /var/tmp/rookery-context.XXXXXX)
trap 'rm -rf "$context"' EXIT
(cd "$root" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done |
  tar --null -T - -c) | tar -C "$context" -x

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
