#!/usr/bin/env bash
# Provisions a Debian 12 host to run Rookery under systemd: kernel and limit tuning, the service
# user, the binary and admin console, the unit; then starts the server, waits for /readyz and
# prints `rookery doctor`. Run as root. Idempotent: run it again to upgrade the binary.
#
# cloud-init runs it (terraform/modules/game_hosts/user_data.yaml.tftpl) after writing the
# tuned files into /etc with write_files. By hand, from a checkout, --files installs them too:
#   sudo ops/host/provision.sh --files . --release-url URL --release-sha256 HEX
#   sudo ops/host/provision.sh --files . --git-url https://example.org/rookery.git --git-ref main
#
# Options (or the environment variables in brackets):
#   --release-url URL      [ROOKERY_RELEASE_URL]     tarball made by ops/package.sh
#   --release-sha256 HEX   [ROOKERY_RELEASE_SHA256]  its checksum (required with the URL)
#   --git-url URL          [ROOKERY_GIT_URL]         or build from source (slow: ~15 min, 2 vCPU)
#   --git-ref REF          [ROOKERY_GIT_REF]         branch, tag or commit (default main)
#   --files DIR            install ops/host/*, ops/systemd/* from the checkout at DIR
#   --no-start             install only
set -euo pipefail

release_url=${ROOKERY_RELEASE_URL:-}
release_sha256=${ROOKERY_RELEASE_SHA256:-}
git_url=${ROOKERY_GIT_URL:-}
git_ref=${ROOKERY_GIT_REF:-main}
files=""
start=1

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
  exit "$1"
}

while (($#)); do
  case $1 in
    --release-url) release_url=$2; shift 2 ;;
    --release-sha256) release_sha256=$2; shift 2 ;;
    --git-url) git_url=$2; shift 2 ;;
    --git-ref) git_ref=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --no-start) start=0; shift ;;
    -h | --help) usage 0 ;;
    *) echo "provision: unknown argument $1" >&2; usage 2 ;;
  esac
done

log() { printf 'provision: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root"
if [[ -n $release_url && -n $git_url ]] || [[ -z $release_url && -z $git_url ]]; then
  die "give exactly one of --release-url (with --release-sha256) or --git-url"
fi
if [[ -n $release_url && ! $release_sha256 =~ ^[0-9a-f]{64}$ ]]; then
  die "--release-sha256 must be the 64 hex digits of the tarball's SHA-256"
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# 1. Tuned files (cloud-init has already written them; --files installs them from a checkout).
if [[ -n $files ]]; then
  install -D -m 0644 "$files/ops/host/sysctl.d/60-rookery.conf" /etc/sysctl.d/60-rookery.conf
  install -D -m 0644 "$files/ops/host/limits.d/60-rookery.conf" \
    /etc/security/limits.d/60-rookery.conf
  install -D -m 0644 "$files/ops/systemd/rookery.service" /etc/systemd/system/rookery.service
fi
for f in /etc/sysctl.d/60-rookery.conf /etc/security/limits.d/60-rookery.conf \
  /etc/systemd/system/rookery.service; do
  [[ -f $f ]] || die "$f is missing (write it with cloud-init, or pass --files CHECKOUT)"
done

# 2. Kernel settings now (sysctl.d applies them at every boot).
log "applying /etc/sysctl.d/60-rookery.conf"
sysctl -q -p /etc/sysctl.d/60-rookery.conf

# 3. Service user and folders. The unit's StateDirectory creates /var/lib/rookery as well.
if ! getent passwd rookery >/dev/null; then
  useradd --system --home-dir /var/lib/rookery --no-create-home --shell /usr/sbin/nologin \
    --user-group rookery
fi
install -d -m 0750 -o rookery -g rookery /var/lib/rookery
install -d -m 0755 /etc/rookery /usr/local/share/rookery
if [[ ! -f /etc/rookery/rookery.conf ]]; then
  cat >/etc/rookery/rookery.conf <<'CONF'
# Rookery configuration (key = value; every key: rookery --help).
db = /var/lib/rookery/rookery.db
http_bind = 0.0.0.0
admin_ui_root = /usr/local/share/rookery/admin-ui
log_format = json
CONF
fi
[[ ! -f /etc/rookery/rookery.env ]] || {
  chown root:rookery /etc/rookery/rookery.env
  chmod 0640 /etc/rookery/rookery.env
}

# 4. The binary and the admin console.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
apt_install ca-certificates curl
if [[ -n $release_url ]]; then
  log "downloading $release_url"
  curl -fsSL --retry 5 --retry-connrefused -o "$work/rookery.tar.gz" "$release_url"
  echo "$release_sha256  $work/rookery.tar.gz" | sha256sum --check --quiet ||
    die "checksum mismatch for $release_url"
  tar -xzf "$work/rookery.tar.gz" -C "$work"
  pkgdir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'rookery-*' | head -n1)
  [[ -n $pkgdir && -x $pkgdir/bin/rookery ]] || die "no bin/rookery in the tarball"
  mapfile -t runtime < "$pkgdir/share/rookery/runtime-packages"
  apt_install "${runtime[@]}"
  new_binary=$pkgdir/bin/rookery
  new_ui=$pkgdir/share/rookery/admin-ui
else
  apt_install git
  log "building $git_url ($git_ref) from source"
  git clone --quiet "$git_url" "$work/src"
  git -C "$work/src" checkout --quiet "$git_ref"
  # shellcheck source=ops/dev/deps.sh
  source "$work/src/ops/dev/deps.sh"
  rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}"
  cmake -S "$work/src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DROOKERY_BUILD_TESTS=OFF
  cmake --build "$work/build" --target rookery
  new_binary=$work/build/bin/rookery
  new_ui=""
  if [[ -f $work/src/admin-ui/package.json ]]; then
    apt_install nodejs npm
    (cd "$work/src/admin-ui" && npm ci --no-audit --no-fund && npm run build) &&
      new_ui=$work/src/admin-ui/dist
  fi
fi
install -m 0755 "$new_binary" /usr/local/bin/rookery.new
mv -f /usr/local/bin/rookery.new /usr/local/bin/rookery
if [[ -n $new_ui && -d $new_ui ]]; then
  rm -rf /usr/local/share/rookery/admin-ui
  cp -r "$new_ui" /usr/local/share/rookery/admin-ui
fi
log "installed $(/usr/local/bin/rookery --version)"

# 5. Schema first (as the service user), so a bad migration stops here, not in a restart loop.
runuser -u rookery -- /usr/local/bin/rookery migrate --config /etc/rookery/rookery.conf

# 6. Start (or restart onto the new binary: SIGTERM drains the old one first).
systemctl daemon-reload
systemctl enable rookery.service
if ((start)); then
  systemctl restart rookery.service
  port=$(awk -F' *= *' '$1 == "http_port" {print $2}' /etc/rookery/rookery.conf)
  port=${port:-8080}
  for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
      log "rookery is ready"
      break
    fi
    sleep 1
  done
  systemctl is-active --quiet rookery.service || die "rookery did not start: journalctl -u rookery"
fi

# 7. Tell what still falls short (non-fatal: the server runs, the report is in the log).
runuser -u rookery -- /usr/local/bin/rookery doctor --config /etc/rookery/rookery.conf || true
