#!/usr/bin/env bash
# Makes a pristine Debian 12 (bookworm) root folder with debootstrap, from the Debian mirror this
# machine's apt is configured with. Sourced (not run) by ops/container/build.sh, which imports
# the root as the container base image, and by tests/fresh/run.sh, which runs the README's
# commands inside it as a newcomer would.

# The first Debian archive URI apt uses for `suite` (deb822 .sources or one-line .list files),
# or `default` when none is configured.
rookery_apt_uri() {
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

# rookery_make_debian_root DIR: debootstrap --variant=minbase bookworm into DIR (which must not
# exist or be empty), with apt sources for bookworm, bookworm-updates and bookworm-security and
# no package lists or downloaded packages left behind.
rookery_make_debian_root() {
  local rootfs=$1 mirror security
  mirror=$(rookery_apt_uri bookworm http://deb.debian.org/debian)
  security=$(rookery_apt_uri bookworm-security http://deb.debian.org/debian-security)
  if ! command -v debootstrap >/dev/null; then
    echo "debian-root.sh: debootstrap is not installed (apt-get install debootstrap)" >&2
    return 1
  fi
  echo "debian-root.sh: debootstrap bookworm (minbase) into $rootfs from $mirror" >&2
  if ! debootstrap --variant=minbase --components=main bookworm "$rootfs" "$mirror" >"$rootfs.debootstrap.log" 2>&1; then
    echo "debian-root.sh: debootstrap failed; its log: $rootfs.debootstrap.log" >&2
    tail -n 20 "$rootfs.debootstrap.log" >&2
    return 1
  fi
  rm -f "$rootfs.debootstrap.log"
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
  # host's apt settings for that into the root.
  grep -l -E 'Check-Valid-Until|Check-Date' /etc/apt/apt.conf.d/* 2>/dev/null |
    while read -r conf; do cp "$conf" "$rootfs/etc/apt/apt.conf.d/"; done
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
}
