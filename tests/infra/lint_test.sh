#!/usr/bin/env bash
# Linters over the repository's scripts and deployment YAML:
#   - shellcheck on every shell script: *.sh files, .ci/run, and any other file whose first line
#     names bash or sh (ops/dev/files.sh finds them the same way with or without .git);
#   - yamllint (tests/infra/yamllint.yml) on k8s/ and the YAML under ops/.
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=ops/dev/files.sh
source "$REPO_ROOT/ops/dev/files.sh"
cd "$REPO_ROOT" || exit 1

echo "== shellcheck"
mapfile -t files < <(rookery_shell_scripts "$REPO_ROOT")
if ((${#files[@]} == 0)); then
  fail "shellcheck: no scripts found"
fi
for f in "${files[@]}"; do
  check "shellcheck $f" shellcheck -x "$f"
done

echo "== yamllint"
mapfile -t yaml < <(rookery_files "$REPO_ROOT" 'k8s/*.yaml' 'k8s/*.yml' 'ops/*.yaml' 'ops/*.yml')
if ((${#yaml[@]} == 0)); then
  fail "yamllint: no YAML files found under k8s/ and ops/"
fi
for f in "${yaml[@]}"; do
  check "yamllint $f" yamllint --strict -c "$INFRA_DIR/yamllint.yml" "$f"
done
