#!/usr/bin/env bash
# Runs every infra check and prints one PASS/FAIL/SKIP line per result, then "N passed, M failed".
# Exits non-zero if any check failed. Installs what is missing first: the Debian packages of
# ops/dev/infra-packages.txt, the npm packages of tests/infra/package.json (npm ci), and the
# rookery binary (ninja) that the live checks start.
#
#   tests/infra/run.sh                            # everything but the container image (~30 s)
#   ROOKERY_CONTAINER_TEST=1 tests/infra/run.sh   # plus the image build and run (~8 min cold)
#   tests/infra/run.sh k8s terraform              # only these checks (names: see CHECKS)
#
# Checks: lint (shellcheck, yamllint), host (sysctl in a netns, systemd, Ansible, package.sh,
# rookery doctor), k8s (kustomize, schemas), terraform (hcl2json, variables, cloud-init schema),
# prometheus (promtool, a real Prometheus against a live rookery), backup (rookery backup and
# restore), container (only with ROOKERY_CONTAINER_TEST=1).
set -uo pipefail
infra=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$infra/../.." && pwd)
cd "$root" || exit 1

CHECKS=(lint host k8s terraform prometheus backup)
if [[ ${ROOKERY_CONTAINER_TEST:-0} == 1 ]]; then
  CHECKS+=(container)
fi
if (($#)); then
  CHECKS=("$@")
fi

started=$SECONDS
echo "== installing what is missing"
# shellcheck source=ops/dev/deps.sh
source "$root/ops/dev/deps.sh"
set +e # deps.sh turns on errexit; a failing check must not stop the others
packages=()
while IFS= read -r line; do
  pkg=${line%%#*}
  pkg=${pkg//[[:space:]]/}
  [[ -n $pkg ]] || continue
  if [[ $line == *"# container"* && " ${CHECKS[*]} " != *" container "* ]]; then
    continue
  fi
  # Node.js may come from elsewhere (NodeSource bundles npm): a working command is enough.
  if [[ ($pkg == nodejs && -n $(command -v node)) || ($pkg == npm && -n $(command -v npm)) ]]; then
    continue
  fi
  packages+=("$pkg")
done <"$root/ops/dev/infra-packages.txt"
if ! rookery_install_packages "${packages[@]}"; then
  echo "FAIL: installing Debian packages: ${packages[*]}"
  echo "0 passed, 1 failed"
  exit 1
fi
if [[ ! -d $infra/node_modules || $infra/package-lock.json -nt $infra/node_modules ]]; then
  if ! (cd "$infra" && npm ci --no-audit --no-fund --loglevel=error); then
    echo "FAIL: npm ci in tests/infra"
    echo "0 passed, 1 failed"
    exit 1
  fi
  touch "$infra/node_modules"
fi
# The live checks run the server; build it if needed (quick when up to date).
if [[ -z ${INFRA_ROOKERY_BIN:-} ]]; then
  if [[ -f $root/build/build.ninja ]]; then
    cmake --build "$root/build" --target rookery >/dev/null || echo "warning: building rookery failed"
  else
    rookery_build "$root" rookery >/dev/null || echo "warning: building rookery failed"
  fi
fi

INFRA_RESULTS=$(mktemp)
export INFRA_RESULTS
trap 'rm -f "$INFRA_RESULTS"' EXIT
declare -A durations=()
for check in "${CHECKS[@]}"; do
  script=$infra/${check}_test.sh
  if [[ ! -f $script ]]; then
    echo "FAIL: no check named $check ($script)" | tee -a "$INFRA_RESULTS"
    continue
  fi
  t0=$SECONDS
  bash "$script"
  status=$?
  durations[$check]=$((SECONDS - t0))
  # A check that died without reporting a failure still fails the run.
  if ((status != 0)); then
    echo "FAIL: $check check exited with status $status" | tee -a "$INFRA_RESULTS"
  fi
done

echo
echo "== durations"
for check in "${CHECKS[@]}"; do
  printf '  %-11s %4s s\n' "$check" "${durations[$check]:-?}"
done
printf '  %-11s %4s s\n' total $((SECONDS - started))
passed=$(grep -c '^PASS' "$INFRA_RESULTS" || true)
failed=$(grep -c '^FAIL' "$INFRA_RESULTS" || true)
skipped=$(grep -c '^SKIP' "$INFRA_RESULTS" || true)
if ((skipped)); then
  echo "$skipped skipped:"
  grep '^SKIP' "$INFRA_RESULTS" | sed 's/^/  /'
fi
if ((failed)); then
  echo "failures:"
  grep '^FAIL' "$INFRA_RESULTS" | sed 's/^/  /'
fi
echo "$passed passed, $failed failed"
((failed == 0))
