#!/usr/bin/env bash
# Terraform checks (terraform/), offline: no terraform binary is available here.
#   - every .tf parses (npm @cdktf/hcl2json); variables described, typed and used; outputs
#     described; module calls and file paths consistent; provider versions pinned (tf_check.mjs);
#   - each cloud-init template rendered as templatefile() would (render_tftpl.mjs, fixed test
#     values in terraform_values.json, the real ops/ files) and checked with
#     `cloud-init schema --config-file`; its gzip size fits EC2's 16 KiB user-data limit.
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== terraform: parse, variables, modules (hcl2json)"
node "$INFRA_DIR/tf_check.mjs" terraform >"$work/tf.log" 2>&1
status=$?
# One line per check would be ~200 lines: report the failures, and one PASS for the rest.
if grep -q '^  FAIL:' "$work/tf.log"; then
  grep '^  FAIL:' "$work/tf.log" | sed 's/^  //' | while IFS= read -r line; do _record "$line"; done
elif ((status == 0)); then
  pass "terraform: $(grep -c '\.tf parses' "$work/tf.log") .tf files parse; $(grep -c 'variable .* is used' "$work/tf.log") variables described, typed and used; module calls, files and versions consistent"
else
  fail "terraform: tf_check.mjs crashed"
  sed 's/^/    | /' "$work/tf.log" | tail -n 20
fi

echo "== terraform: cloud-init user data (templatefile + cloud-init schema)"
for module in terraform/modules/*/; do
  module=${module%/}
  ls "$module"/*.tftpl >/dev/null 2>&1 || continue
  name=$(basename "$module")
  out=$work/$name.user-data.yaml
  if ! node "$INFRA_DIR/render_tftpl.mjs" "$module" "$INFRA_DIR/terraform_values.json" "$out" \
    >"$work/$name.render.log" 2>&1; then
    fail "terraform: render $module user data"
    sed 's/^/    | /' "$work/$name.render.log"
    continue
  fi
  pass "terraform: $module user data renders; every file() arrives intact in write_files"
  check "cloud-init schema --config-file ($name user data)" cloud-init schema --config-file "$out"
  size=$(gzip -9c "$out" | wc -c)
  if ((size < 16384)); then
    pass "terraform: $name user data is $size bytes gzipped (< 16 KiB EC2 limit)"
  else
    fail "terraform: $name user data is $size bytes gzipped (EC2 allows 16 KiB)"
  fi
done
