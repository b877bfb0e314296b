#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, sourced by run.sh and the benchmark:
#   pg_server_start   initdb into a new temporary folder and start postgres, listening only on a
#                     Unix socket inside that folder; sets PG_URL (a postgresql:// URL for the
#                     database "rookery"), PG_DIR, and PG_STOP / PG_START (shell commands that
#                     stop and start the same server, for the fault tests)
#   pg_server_stop    stops it and removes the folder (also run by the EXIT trap it installs)
# postgres refuses to run as root, so as root the server runs as `nobody`.
set -uo pipefail

pg_server_bin() {
  local dir
  for dir in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [[ -x "$dir/initdb" ]]; then
      echo "$dir"
      return 0
    fi
  done
  echo "no PostgreSQL server found (apt-get install postgresql)" >&2
  return 1
}

# Runs a command as the server's user.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

pg_server_start() {
  local bin
  bin=$(pg_server_bin) || return 1
  # As root the server runs as nobody, who must reach the folder: /tmp, not a private TMPDIR.
  local parent=${TMPDIR:-/tmp}
  if [[ $(id -u) -eq 0 ]]; then parent=/tmp; fi
  PG_DIR=$(mktemp -d "$parent/rookery-pg.XXXXXX")
  chmod 755 "$PG_DIR"
  mkdir -p "$PG_DIR/data" "$PG_DIR/socket" "$PG_DIR/log"
  if [[ $(id -u) -eq 0 ]]; then
    chown nobody "$PG_DIR/data" "$PG_DIR/socket" "$PG_DIR/log"
  fi
  trap pg_server_stop EXIT
  # trust on the socket only: nothing listens on TCP, and the folder is this run's alone.
  if ! pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U rookery --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1; then
    cat "$PG_DIR/initdb.log" >&2
    return 1
  fi
  # fsync and synchronous_commit stay on: the durability tests rely on real commits.
  local opts="-c listen_addresses='' -c unix_socket_directories=$PG_DIR/socket -c port=5432"
  opts+=" -c max_connections=200 -c shared_buffers=64MB"
  PG_START="$(printf '%q ' runuser_or_self "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log/server.log" \
    -w -t 30 -o "$opts" start)"
  PG_STOP="$(printf '%q ' runuser_or_self "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w -t 30 stop)"
  if [[ $(id -u) -eq 0 ]]; then
    PG_START=${PG_START/runuser_or_self/runuser -u nobody --}
    PG_STOP=${PG_STOP/runuser_or_self/runuser -u nobody --}
  else
    PG_START=${PG_START/runuser_or_self /}
    PG_STOP=${PG_STOP/runuser_or_self /}
  fi
  if ! eval "$PG_START" >/dev/null; then
    cat "$PG_DIR/log/server.log" >&2
    return 1
  fi
  pg_as_owner "$bin/createdb" -h "$PG_DIR/socket" -U rookery rookery || return 1
  PG_URL="postgresql://rookery@/rookery?host=$PG_DIR/socket"
  export PG_URL PG_DIR PG_START PG_STOP
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') running in $PG_DIR (socket only)"
}

pg_server_stop() {
  [[ -n "${PG_DIR:-}" && -d "$PG_DIR" ]] || return 0
  if [[ -f "$PG_DIR/data/postmaster.pid" ]]; then
    eval "$PG_STOP" >/dev/null 2>&1 || true
  fi
  rm -rf "$PG_DIR"
  PG_DIR=
}
