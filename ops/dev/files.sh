#!/usr/bin/env bash
# The project's own files, the same in a git checkout and in a source tree without .git (a
# release tarball, `git archive`): sourced by the format suite, the shell and YAML linters and
# the container build context, so each checks or ships the same files either way.

# rookery_files ROOT [GLOB...]: prints the paths (relative to ROOT, sorted, one a line) of the
# regular files under ROOT whose path matches one of the shell GLOBs (all files without a GLOB).
# Left out, as .gitignore leaves them out: .git, build*/ and data/ at the top, node_modules/,
# dist/ and .cache/ anywhere, __pycache__/, SQLite side files.
rookery_files() {
  local root=$1
  shift
  (
    cd "$root" || exit 1
    find . \( -path ./.git -o -path './build*' -o -path ./data -o -name node_modules -o \
      -name dist -o -name .cache -o -name __pycache__ \) -prune -o \
      -type f ! -name '*.db-wal' ! -name '*.db-shm' -print |
      sed 's|^\./||' |
      if (($#)); then
        while IFS= read -r f; do
          for glob in "$@"; do
            # shellcheck disable=SC2053  # the glob is meant to match as a pattern
            if [[ $f == $glob ]]; then
              printf '%s\n' "$f"
              break
            fi
          done
        done
      else
        cat
      fi | LC_ALL=C sort
  )
}

# rookery_shell_scripts ROOT: the project's shell scripts: *.sh files, and files without that
# ending whose first line names bash or sh (e.g. .ci/run).
rookery_shell_scripts() {
  local root=$1 f
  rookery_files "$root" | while IFS= read -r f; do
    if [[ $f == *.sh ]]; then
      printf '%s\n' "$f"
    elif [[ $f != *.* || $f == .ci/* ]] &&
      head -c 64 "$root/$f" 2>/dev/null | head -n 1 | grep -qE '^#!.*\b(ba)?sh\b'; then
      printf '%s\n' "$f"
    fi
  done
}
