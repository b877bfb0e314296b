#!/usr/bin/env bash
# Installs what is missing, builds the server, the admin console and the web game, and starts
# Rookery on its embedded default (SQLite under ./data/). Extra arguments go to the server,
# e.g. ops/dev/run.sh --threads 1.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=ops/dev/deps.sh
source "$root/ops/dev/deps.sh"
rookery_install_packages "${ROOKERY_BUILD_PACKAGES[@]}"
rookery_install_node
rookery_build "$root" rookery

# The browser parts are static files built with npm (every asset bundled, no CDN).
(cd "$root/admin-ui" && npm ci --no-audit --no-fund --silent && npm run --silent build)
if [[ -f "$root/service/clients/web/package.json" ]]; then
  (cd "$root/service/clients/js" && npm ci --no-audit --no-fund --silent)
  (cd "$root/service/clients/web" && npm ci --no-audit --no-fund --silent &&
    npm run --silent build)
fi

cd "$root"
mkdir -p data
# A local admin for the console: created on first start, password kept in data/ (not in git).
if [[ ! -s data/admin-password ]]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >data/admin-password)
fi
export ROOKERY_ADMIN_USER=${ROOKERY_ADMIN_USER:-admin}
export ROOKERY_ADMIN_PASSWORD=${ROOKERY_ADMIN_PASSWORD:-$(cat data/admin-password)}
echo "Admin console login: $ROOKERY_ADMIN_USER / password in data/admin-password"
exec "$root/build/bin/rookery" serve --admin-ui-root "$root/admin-ui/dist" \
  --web-root "$root/service/clients/web/dist" "$@"
