#!/usr/bin/env bash
# Host tuning checks (ops/host, ops/systemd, ops/ansible, ops/package.sh, rookery doctor):
#   - the sysctl file's net.* keys applied inside a fresh network namespace and read back
#     (host-wide net.* keys, invisible in a namespace, are checked to exist on the host);
#   - the limits.d file's syntax and values;
#   - systemd-analyze verify (and its offline security score) on the unit;
#   - ansible-playbook --syntax-check on the playbook;
#   - ops/package.sh builds a release tarball provision.sh can install;
#   - rookery doctor, run in the tuned namespace, finds no gap (once wired into main.cpp).
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

SYSCTL_FILE=ops/host/sysctl.d/60-rookery.conf
LIMITS_FILE=ops/host/limits.d/60-rookery.conf
UNIT_FILE=ops/systemd/rookery.service
work=$(mktemp -d)
ns=rookery-infra-$$
cleanup() {
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "== host tuning: sysctl in a network namespace"
# Normalised "key value" lines of the file, keys in file order.
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$SYSCTL_FILE" |
  awk -F'=' '{k=$1; v=$2; gsub(/^[ \t]+|[ \t]+$/, "", k); gsub(/^[ \t]+|[ \t]+$/, "", v); gsub(/[ \t]+/, " ", v); print k "=" v}' \
    >"$work/all"
if ! ip netns add "$ns"; then
  fail "sysctl: cannot create network namespace $ns (needs root and iproute2)"
else
  : >"$work/net"
  while IFS='=' read -r key value; do
    [[ $key == net.* ]] || continue
    path=/proc/sys/${key//.//}
    # Namespaced keys are writable inside the namespace; host-wide ones are absent there or a
    # read-only mirror of the host's value (e.g. net.core.rmem_max on some kernels).
    mode=$(ip netns exec "$ns" stat -c %a "$path" 2>/dev/null)
    if [[ -n $mode && $mode == 6* ]]; then
      printf '%s = %s\n' "$key" "$value" >>"$work/net"
    elif [[ -e $path ]]; then
      # Host-wide key: exists, and the value has the same number of fields as the live one.
      live=$(sysctl -n "$key" | wc -w)
      want=$(wc -w <<<"$value")
      if [[ $live == "$want" ]]; then
        pass "sysctl $key: host-wide (not namespaced), key exists, $want field(s)"
      else
        fail "sysctl $key: value has $want field(s), the kernel's has $live"
      fi
    else
      fail "sysctl $key: no such key on this kernel"
    fi
  done <"$work/all"
  host_before=$(sysctl -n net.core.somaxconn)
  if ip netns exec "$ns" sysctl -q -p "$work/net" >"$work/apply.log" 2>&1 && [[ ! -s $work/apply.log ]]; then
    pass "sysctl -p of the $(wc -l <"$work/net") namespaced net.* keys inside netns $ns"
    while read -r key _ value; do
      got=$(ip netns exec "$ns" sysctl -n "$key" | tr -s '\t ' '  ')
      if [[ $got == "$value" ]]; then
        pass "sysctl $key = $value (read back in the namespace)"
      else
        fail "sysctl $key: wrote '$value', read back '$got'"
      fi
    done <"$work/net"
    if [[ $(sysctl -n net.core.somaxconn) == "$host_before" ]]; then
      pass "sysctl: the host's own settings are untouched"
    else
      fail "sysctl: applying in the namespace changed the host"
    fi
  else
    fail "sysctl -p inside netns $ns"
    sed 's/^/    | /' "$work/apply.log"
  fi
fi
for key in fs.file-max fs.nr_open; do
  if grep -q "^$key=" "$work/all" && [[ -e /proc/sys/${key//.//} ]]; then
    pass "sysctl $key: global key exists (not applied: it is host-wide)"
  else
    fail "sysctl $key missing from $SYSCTL_FILE or the kernel"
  fi
done

echo "== host tuning: limits.d"
nr_open=$(awk -F= '$1 == "fs.nr_open" {print $2}' "$work/all")
bad=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIMITS_FILE" |
  awk -v max="$nr_open" 'NF != 4 || $1 != "rookery" || ($2 != "soft" && $2 != "hard" && $2 != "-") ||
    $3 != "nofile" || $4 !~ /^[0-9]+$/ || $4 + 0 > max + 0 {print}')
count=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$LIMITS_FILE" | wc -l)
if [[ -z $bad && $count -ge 2 ]]; then
  pass "limits.d: $count nofile lines for user rookery, none above fs.nr_open ($nr_open)"
else
  fail "limits.d: bad lines: ${bad:-expected soft and hard nofile lines}"
fi
unit_nofile=$(awk -F= '$1 == "LimitNOFILE" {print $2}' "$UNIT_FILE")
if [[ -n $unit_nofile && $unit_nofile -le $nr_open ]]; then
  pass "systemd LimitNOFILE=$unit_nofile fits under fs.nr_open=$nr_open"
else
  fail "systemd LimitNOFILE=${unit_nofile:-unset} must be set and <= fs.nr_open=$nr_open"
fi

echo "== host tuning: systemd unit"
# verify needs the unit's ExecStart binary and systemd's own units: a scratch root holds both.
root=$work/root
mkdir -p "$root/etc/systemd/system" "$root/usr/local/bin" "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
printf '#!/bin/sh\nexit 0\n' >"$root/usr/local/bin/rookery"
chmod 0755 "$root/usr/local/bin/rookery"
cp "$UNIT_FILE" "$root/etc/systemd/system/rookery.service"
out=$(systemd-analyze verify --root="$root" rookery.service 2>&1)
status=$?
if [[ $status -eq 0 && -z $out ]]; then
  pass "systemd-analyze verify $UNIT_FILE (no warnings)"
else
  fail "systemd-analyze verify $UNIT_FILE"
  printf '%s\n' "$out" | sed 's/^/    | /'
fi
score=$(systemd-analyze security --offline=true --root="$root" rookery.service 2>/dev/null |
  awk '/Overall exposure level/ {print $(NF-2)}')
if [[ -n $score ]] && awk -v s="$score" 'BEGIN {exit !(s <= 2.0)}'; then
  pass "systemd-analyze security: exposure $score (<= 2.0, hardened)"
else
  fail "systemd-analyze security: exposure ${score:-unknown}, want <= 2.0"
fi
timeout_stop=$(awk -F= '$1 == "TimeoutStopSec" {sub(/s$/, "", $2); print $2}' "$UNIT_FILE")
if [[ -n $timeout_stop && $timeout_stop -gt 30 ]] && grep -q '^KillSignal=SIGTERM' "$UNIT_FILE" &&
  grep -q '^Restart=on-failure' "$UNIT_FILE"; then
  pass "systemd: SIGTERM drain, TimeoutStopSec=${timeout_stop}s > 30 s drain deadline, Restart=on-failure"
else
  fail "systemd: needs KillSignal=SIGTERM, Restart=on-failure, TimeoutStopSec > 30s"
fi

echo "== host tuning: Ansible"
check "ansible-playbook --syntax-check ops/ansible/rookery.yml" \
  ansible-playbook --syntax-check -i ops/ansible/inventory.example.ini ops/ansible/rookery.yml

echo "== release tarball (ops/package.sh)"
if [[ -x $RK_BIN ]]; then
  mkdir -p "$work/build/bin"
  ln -s "$RK_BIN" "$work/build/bin/rookery"
  if ops/package.sh "$work/build" "$work/dist" >"$work/pkg.log" 2>&1; then
    tarball=$(ls "$work"/dist/rookery-*.tar.gz)
    listing=$(tar -tzf "$tarball")
    if grep -q '/bin/rookery$' <<<"$listing" && grep -q '/share/rookery/runtime-packages$' <<<"$listing" &&
      (cd "$work/dist" && sha256sum --check --quiet ./*.sha256); then
      pass "ops/package.sh: $(basename "$tarball") with bin/rookery, runtime-packages, checksum"
    else
      fail "ops/package.sh: tarball lacks bin/rookery or runtime-packages, or bad checksum"
    fi
  else
    fail "ops/package.sh"
    sed 's/^/    | /' "$work/pkg.log" | tail -n 20
  fi
else
  fail "release tarball: $RK_BIN not built"
fi

echo "== rookery doctor"
if rookery_links "rookery doctor: can this host carry"; then
  # In the namespace tuned above: no gap may remain on a namespaced key (the host-wide keys and
  # the open-file limit are this machine's own, and may not be raised here).
  out=$(timeout 20 ip netns exec "$ns" "$RK_BIN" doctor 2>&1)
  status=$?
  gaps=$(grep -c '^  GAP ' <<<"$out")
  left=""
  while read -r key _; do
    grep -qE "^  GAP +$key( |$)" <<<"$out" && left+=" $key"
  done <"$work/net"
  if [[ -z $left && $out == *"rookery doctor: can this host carry"* ]] &&
    { [[ $status -eq 0 && $gaps -eq 0 ]] || [[ $status -eq 1 && $gaps -gt 0 ]]; }; then
    pass "rookery doctor in the tuned namespace: no namespaced key falls short (exit $status, $gaps host-wide gap(s))"
  else
    fail "rookery doctor in the tuned namespace: exit $status, gaps on:${left:- (none; bad exit status)}"
    printf '%s\n' "$out" | sed 's/^/    | /' | head -n 40
  fi
  out=$(timeout 20 prlimit --nofile=1024:4096 "$RK_BIN" doctor --max-connections 10000 2>&1)
  status=$?
  if [[ $status -eq 1 && $out == *"GAP   RLIMIT_NOFILE hard"* && $out == *"LimitNOFILE="* ]]; then
    pass "rookery doctor: a 4096 open-file limit is a gap for 10000 connections, with its fix, exit 1"
  else
    fail "rookery doctor with nofile 4096: exit $status, want 1 and an RLIMIT_NOFILE gap"
    printf '%s\n' "$out" | sed 's/^/    | /' | head -n 20
  fi
else
  skip "rookery doctor: not wired into main.cpp yet (run_doctor not linked)"
fi
