#!/usr/bin/env bash
# Linters over the repository's scripts and deployment YAML:
#   - shellcheck on every shell script: `git ls-files '*.sh'` (new, not yet committed ones
#     included), .ci/run, and any other file whose first line names bash or sh;
#   - yamllint (tests/infra/yamllint.yml) on k8s/ and the YAML under ops/.
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

echo "== shellcheck"
mapfile -t files < <(
  {
    git ls-files --cached --others --exclude-standard -- '*.sh'
    # Extensionless scripts (e.g. .ci/run): tracked or new files with a shell shebang.
    git ls-files --cached --others --exclude-standard |
      grep -v -e '\.sh$' -e 'node_modules/' |
      while IFS= read -r f; do
        [[ -f $f ]] && head -c 64 "$f" 2>/dev/null | head -n 1 | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f"
      done
  } | sort -u
)
if ((${#files[@]} == 0)); then
  fail "shellcheck: no scripts found"
fi
for f in "${files[@]}"; do
  check "shellcheck $f" shellcheck -x "$f"
done

echo "== yamllint"
mapfile -t yaml < <(git ls-files --cached --others --exclude-standard -- 'k8s/*.yaml' 'k8s/*.yml' \
  'ops/*.yaml' 'ops/*.yml' | sort)
for f in "${yaml[@]}"; do
  check "yamllint $f" yamllint --strict -c "$INFRA_DIR/yamllint.yml" "$f"
done
