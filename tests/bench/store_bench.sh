#!/usr/bin/env bash
# Store throughput on SQLite and PostgreSQL: runs build/bin/store_bench RUNS times (default 3)
# on each store, each run on a fresh database (a new SQLite file; a new PostgreSQL database on a
# throwaway server from tests/postgres/pg_server.sh), and prints every run and the medians as a
# Markdown table. Bounded by fixed request counts (about a minute in all on 2 vCPUs).
#   tests/bench/store_bench.sh [RUNS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bench=${ROOKERY_BUILD_DIR:-$root/build}/bin/store_bench
runs=${1:-3}
args=(--registrations 200 --logins 200 --matches 20000 --kdf-threads 2)
# shellcheck source=tests/postgres/pg_server.sh
source "$root/tests/postgres/pg_server.sh"
[[ -x $bench ]] || { echo "$bench is missing: build first" >&2; exit 1; }
pg_server_start >/dev/null
scratch=$(mktemp -d)
trap 'pg_server_stop; rm -rf "$scratch"' EXIT

results=()
for ((i = 1; i <= runs; ++i)); do
  results+=("$("$bench" --db "$scratch/run$i/rookery.db" "${args[@]}")")
  pg_as_owner "$(pg_server_bin)/createdb" -h "$PG_DIR/socket" -U rookery "bench$i"
  results+=("$("$bench" --db "postgresql://rookery@/bench$i?host=$PG_DIR/socket" "${args[@]}")")
done
printf '%s\n' "${results[@]}"
printf '%s\n' "${results[@]}" | python3 -c '
import json, statistics, sys
rows = [json.loads(line) for line in sys.stdin]
print("\n| Store | registrations/s | logins/s (password) | match saves/s |")
print("|---|---|---|---|")
for store in ("sqlite", "postgresql"):
    mine = [r for r in rows if r["store"] == store]
    reg, log, save = (statistics.median(r[k] for r in mine)
                      for k in ("registrations_per_s", "logins_per_s", "match_saves_per_s"))
    print("| %s | %.0f | %.0f | %s |" % (store, reg, log, format(round(save), ",")))
print("\nmedian of %d runs each" % (len(rows) // 2))
'
