#!/usr/bin/env bash
# The newcomer's check: the README's two commands on a pristine Debian 12 machine.
#
#   tests/fresh/run.sh [--base TAR] [--keep] [--skip-tests]
#
# Makes a pristine Debian 12 root (debootstrap --variant=minbase bookworm: Debian's own
# packages only, no Node.js, no compiler), copies the tree into it without .git (`git archive
# HEAD`, or the project's files from a tree that has no .git), and runs inside `chroot` with a
# clean environment:
#   1. ops/dev/run.sh: installs, builds and starts the server; this script waits for its
#      banner, fetches the game page, the admin console and /readyz from outside the root, then
#      stops the server with SIGTERM (a clean drain exits 0);
#   2. ops/dev/test.sh: installs, builds and runs every suite.
# It prints both commands' exit codes and durations and the banner, and exits non-zero unless
# both passed. Takes about an hour on a 2-core machine (most of it the installs and the first
# build), so it is not part of every CI run. Needs root, debootstrap, and the ports 12122,
# 12123 and 8080 free (the server's defaults).
#
#   --base TAR     start from this tarball of a fresh debootstrap instead of running it again
#                  (made by a previous run with --keep: <root>.base.tar)
#   --keep         keep the root (and the base tarball) for a look afterwards
#   --skip-tests   run only the first command
#
# Network: the root reaches Debian's mirror (the one this machine's apt uses) and the npm
# registry. Where this machine reaches them through a TLS-inspecting proxy whose certificate
# authority only the host trusts (NODE_EXTRA_CA_CERTS is set here), that bundle is handed to
# npm inside the root the same way; nothing else of the host's goes in.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=ops/dev/debian-root.sh
source "$repo/ops/dev/debian-root.sh"
# shellcheck source=ops/dev/files.sh
source "$repo/ops/dev/files.sh"

base=""
keep=0
skip_tests=0
while (($#)); do
  case $1 in
    --base) base=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --skip-tests) skip_tests=1; shift ;;
    -h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fresh: unknown argument $1" >&2; exit 2 ;;
  esac
done

say() { printf '[fresh] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, mounts)"
for port in 12122 12123 8080; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port $port is in use: the server's defaults must be free"
  fi
done

R=$(mktemp -d "${TMPDIR:-/var/tmp}/rookery-fresh.XXXXXX")
chmod 0755 "$R"  # it is /: every user must traverse it (mktemp makes it 0700)
results=$R.results
mkdir -p "$results"
server_pid=""
mounted=()
cleanup() {
  [[ -n $server_pid ]] && kill -KILL "$server_pid" 2>/dev/null
  # Anything still running inside the root (a test's server, chromium) goes first.
  local p
  for p in /proc/[0-9]*; do
    [[ $(readlink "$p/root" 2>/dev/null) == "$R" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  sleep 1
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -l "${mounted[i]}" 2>/dev/null
  done
  if ((keep)); then
    say "kept the root: $R"
  else
    rm -rf "$R"
  fi
}
trap cleanup EXIT

# --- 1. the pristine root --------------------------------------------------------------------
t0=$SECONDS
if [[ -n $base ]]; then
  say "unpacking $base"
  tar --numeric-owner -C "$R" -xf "$base" || die "cannot unpack $base"
else
  rookery_make_debian_root "$R" || die "debootstrap failed"
  if ((keep)); then
    tar --numeric-owner -C "$R" -cf "$R.base.tar" . && say "base tarball: $R.base.tar"
  fi
fi
say "pristine root ready in $((SECONDS - t0)) s: $(chroot "$R" dpkg-query -W -f '.\n' | wc -l) packages," \
  "node: $(chroot "$R" sh -c 'command -v node || echo none')"
# What an installed Debian machine has and debootstrap leaves out: name resolution for this
# network, and the installer's /etc/hosts (localhost on IPv4 and IPv6).
cp /etc/resolv.conf "$R/etc/resolv.conf"
if [[ ! -s $R/etc/hosts ]]; then
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$R/etc/hosts"
fi

mount_in() { # mount_in TYPE SOURCE TARGET [OPTIONS]
  mkdir -p "$R/$3"
  mount -t "$1" ${4:+-o "$4"} "$2" "$R/$3" || die "cannot mount $3"
  mounted+=("$R/$3")
}
# The root is a mount point of its own, as / is on a machine (`ip netns exec` needs that).
mount --bind "$R" "$R" || die "cannot bind-mount the root onto itself"
mounted+=("$R")
mount_in proc proc /proc
mount_in sysfs sysfs /sys
mount_in devtmpfs udev /dev
mount_in devpts devpts /dev/pts "newinstance,ptmxmode=0666"
mount_in tmpfs shm /dev/shm "mode=1777"
mount_in tmpfs run /run "mode=0755"

# --- 2. the tree, without .git ---------------------------------------------------------------
dest=/root/rookery
mkdir -p "$R$dest"
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  say "copying git archive of HEAD ($(git -C "$repo" rev-parse --short HEAD))"
  git -C "$repo" archive --format=tar HEAD | tar -C "$R$dest" -x || die "git archive failed"
else
  say "copying the project's files (no .git here)"
  (cd "$repo" && rookery_files "$repo" | tar -T - -c) | tar -C "$R$dest" -x || die "copy failed"
fi
[[ ! -e $R$dest/.git ]] || die "the copy has a .git"

clean_env=(env -i HOME=/root TERM=dumb LANG=C.UTF-8
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
  cp "$NODE_EXTRA_CA_CERTS" "$R/etc/network-proxy-ca.crt" || die "cannot copy the CA bundle"
  clean_env+=(NODE_EXTRA_CA_CERTS=/etc/network-proxy-ca.crt)
  say "npm inside the root trusts this network's TLS proxy (NODE_EXTRA_CA_CERTS)"
fi
in_root() { chroot "$R" "${clean_env[@]}" bash -c "cd $dest && $*"; }

# --- 3. command one: ops/dev/run.sh ----------------------------------------------------------
say "command 1: ops/dev/run.sh (log: $results/run.log)"
t1=$SECONDS
# chroot, env, bash and run.sh all exec, so this pid ends up being the server's own.
chroot "$R" "${clean_env[@]}" bash -c "cd $dest && exec ops/dev/run.sh" </dev/null \
  >"$results/run.log" 2>&1 &
server_pid=$!
ready=0
while kill -0 "$server_pid" 2>/dev/null; do
  if grep -q 'is ready' "$results/run.log"; then
    ready=1
    break
  fi
  if ((SECONDS - t1 > 3600)); then
    say "no banner within an hour"
    break
  fi
  sleep 2
done
run_secs=$((SECONDS - t1))
run_status=1
probes_ok=1
if ((ready)); then
  say "banner after $run_secs s"
  sed -n '/is ready/,/Stop with/p' "$results/run.log" >"$results/banner.txt"
  for url in http://localhost:12123/ http://127.0.0.1:8080/admin/ http://127.0.0.1:8080/readyz; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url")
    echo "GET $url -> $code" | tee -a "$results/probes.txt" >&2
    [[ $code == 200 ]] || probes_ok=0
  done
  [[ -s $R$dest/data/admin-password ]] || { echo "no data/admin-password" >&2; probes_ok=0; }
  kill -TERM "$server_pid"
  wait "$server_pid"
  run_status=$?
  say "server stopped by SIGTERM, exit status $run_status"
else
  wait "$server_pid"
  run_status=$?
  ((run_status == 0)) && run_status=1
  say "ops/dev/run.sh ended without a banner, exit status $run_status; its last lines:"
  tail -n 30 "$results/run.log" >&2
fi
server_pid=""
run_ok=$((ready && probes_ok && run_status == 0))

# --- 4. command two: ops/dev/test.sh ---------------------------------------------------------
test_status=skipped
test_secs=0
if ((!skip_tests)); then
  say "command 2: ops/dev/test.sh (log: $results/test.log)"
  t2=$SECONDS
  in_root "ops/dev/test.sh" </dev/null 2>&1 | tee "$results/test.log" | grep --line-buffered -E '^== ' >&2
  test_status=${PIPESTATUS[0]}
  test_secs=$((SECONDS - t2))
fi

# --- 5. the result ---------------------------------------------------------------------------
{
  echo "Pristine Debian 12 root (debootstrap --variant=minbase bookworm), tree without .git,"
  echo "commands run in chroot with a clean environment; $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores."
  echo
  echo "1. ops/dev/run.sh: banner after $run_secs s; stopped with SIGTERM: exit $run_status"
  sed "s/^/   /" "$results/probes.txt" 2>/dev/null
  sed 's/^/   | /' "$results/banner.txt" 2>/dev/null
  if [[ $test_status == skipped ]]; then
    echo "2. ops/dev/test.sh: skipped (--skip-tests)"
  else
    echo "2. ops/dev/test.sh: exit $test_status after $test_secs s"
    grep -E '^== [a-z]+: |^[0-9]+ passed, [0-9]+ failed' "$results/test.log" | sed 's/^/   /'
  fi
} | tee "$results/summary.txt"
say "logs and summary: $results/"
((run_ok)) && [[ $test_status == 0 || $test_status == skipped ]]
