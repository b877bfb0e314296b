#!/usr/bin/env bash
# Backup and restore of the SQLite player store, end to end (docs/operations.md, "Backup"):
# players log in to a running rookery; `rookery backup FILE` copies the live store; the copy
# passes `sqlite3 ... PRAGMA integrity_check` and holds the players; an existing FILE is refused;
# after a restore into a fresh data folder the same device logs in as the same player.
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1

echo "== backup and restore (rookery backup)"
if ! rookery_links "usage: rookery backup FILE"; then
  skip "rookery backup: not wired into main.cpp yet (run_backup not linked)"
  exit 0
fi

work=$(mktemp -d)
cleanup() {
  stop_rookery >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/live" "$work/restored"

if ! start_rookery "$work/live"; then
  fail "rookery did not start"
  sed 's/^/    | /' "$work/live/rookery.err" | tail -n 20
  exit 0
fi
device=backup-check-$$-device
first=$(python3 "$INFRA_DIR/game_client.py" login --port "$TCP_PORT" --device-id "$device")
python3 "$INFRA_DIR/game_client.py" hold --port "$TCP_PORT" --clients 20 --seconds 1 >/dev/null 2>&1
player_id=${first#*player_id=}
player_id=${player_id%% *}
if [[ $first == LoginOk* ]]; then
  pass "21 players logged in to the live server (reference player $player_id)"
else
  fail "login before the backup: $first"
fi

backup=$work/rookery-backup.db
# While the server runs and the players' rows are fresh in its WAL.
if timeout 60 "$RK_BIN" backup "$backup" --db "$work/live/rookery.db" >"$work/backup.out" 2>"$work/backup.err"; then
  pass "rookery backup FILE on a running server: $(head -n 1 "$work/backup.out")"
else
  fail "rookery backup FILE exited non-zero"
  sed 's/^/    | /' "$work/backup.out" "$work/backup.err"
fi
integrity=$(sqlite3 "$backup" 'PRAGMA integrity_check' 2>&1)
players=$(sqlite3 "$backup" 'SELECT count(*) FROM players' 2>&1)
mode=$(sqlite3 "$backup" 'PRAGMA journal_mode' 2>&1)
if [[ $integrity == ok && $players -ge 21 && $mode == delete ]]; then
  pass "backup file: integrity ok, $players players, one self-contained file (journal_mode=delete)"
else
  fail "backup file: integrity '$integrity', players '$players', journal_mode '$mode'"
fi
before=$(sha256sum "$backup")
if timeout 60 "$RK_BIN" backup "$backup" --db "$work/live/rookery.db" >"$work/again.out" 2>&1; then
  fail "rookery backup overwrote an existing file"
elif [[ $(sha256sum "$backup") == "$before" ]] && grep -q "already exists" "$work/again.out"; then
  pass "rookery backup refuses an existing FILE and leaves it untouched"
else
  fail "rookery backup on an existing FILE: $(cat "$work/again.out")"
fi
if stop_rookery; then
  pass "the live server exits 0 after SIGTERM"
else
  fail "the live server did not exit 0 after SIGTERM"
fi

# Restore as docs/operations.md says: stopped server, the copy put in place of the database.
install -m 0600 "$backup" "$work/restored/rookery.db"
if ! start_rookery "$work/restored"; then
  fail "rookery did not start on the restored database"
  sed 's/^/    | /' "$work/restored/rookery.err" | tail -n 20
  exit 0
fi
again=$(python3 "$INFRA_DIR/game_client.py" login --port "$TCP_PORT" --device-id "$device")
if [[ $again == "LoginOk player_id=$player_id "* ]]; then
  pass "restored store: the same device logs in as the same player ($player_id)"
else
  fail "restored store: expected player $player_id, got '$again'"
fi
stop_rookery >/dev/null 2>&1
