#!/usr/bin/env bash
# Container image check (slow: a full C++ build inside the image; run.sh runs it only with
# ROOKERY_CONTAINER_TEST=1): builds the image with ops/container/build.sh, checks its metadata,
# runs it with host networking on free loopback ports and a volume, checks /readyz and the
# HEALTHCHECK (skipped while the binary has no side-port), logs a player in through the
# container's TCP port, stops it (SIGTERM drain, exit 0), and restarts it on the same volume to
# see the player kept.
set -uo pipefail
# shellcheck source=tests/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT" || exit 1
export CONTAINERS_CONF=$REPO_ROOT/ops/container/containers.conf
IMAGE=localhost/rookery:infra-test
name=rookery-infra-$$
volume=rookery-infra-$$

# Podman's complaints about missing systemd (health-check timers) go here, shown on failure.
podman_log=$(mktemp)
cleanup() {
  podman rm -f -t 0 "$name" >/dev/null 2>&1
  podman volume rm -f "$volume" >/dev/null 2>&1
  rm -f "$podman_log"
}
trap cleanup EXIT

echo "== container: build (ops/container/build.sh)"
start=$SECONDS
log=$(mktemp)
if ops/container/build.sh --tag "$IMAGE" >"$log" 2>&1; then
  pass "container image built in $((SECONDS - start)) s ($(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1 / 1e6}'))"
else
  fail "container image build ($((SECONDS - start)) s)"
  sed 's/^/    | /' "$log" | tail -n 40
  rm -f "$log"
  exit 0
fi
rm -f "$log"

echo "== container: image metadata"
meta=$(podman image inspect "$IMAGE" --format \
  'user={{.Config.User}} ports={{range $p, $_ := .Config.ExposedPorts}}{{$p}},{{end}} volumes={{range $v, $_ := .Config.Volumes}}{{$v}},{{end}} health={{if .Config.Healthcheck}}{{index .Config.Healthcheck.Test 1}}{{end}} stop={{.Config.StopSignal}}')
env=$(podman image inspect "$IMAGE" --format '{{range .Config.Env}}{{.}} {{end}}')
# verdict CONDITION-STATUS "what": PASS or FAIL by the status of the preceding test.
verdict() {
  if [[ $1 -eq 0 ]]; then pass "$2"; else fail "$2 (got: $meta $env)"; fi
}
[[ $meta == *"user=10001:10001"* ]]
verdict $? "runs as non-root user 10001"
[[ $meta == *"12122/tcp"* && $meta == *"12123/tcp"* && $meta == *"8080/tcp"* ]]
verdict $? "exposes 12122, 12123, 8080"
[[ $meta == *"volumes=/var/lib/rookery,"* ]]
verdict $? "VOLUME /var/lib/rookery"
[[ $meta == *"health=/usr/local/bin/rookery-healthcheck"* ]]
verdict $? "HEALTHCHECK on /healthz"
[[ $meta == *"stop=SIGTERM"* ]]
verdict $? "STOPSIGNAL SIGTERM"
[[ $env == *"ROOKERY_DB=/var/lib/rookery/rookery.db"* && $env == *"ROOKERY_HTTP_BIND=0.0.0.0"* ]]
verdict $? "env defaults ROOKERY_DB=/var/lib/rookery/rookery.db, ROOKERY_HTTP_BIND=0.0.0.0"
if podman run --rm --network host --health-interval disable --entrypoint /bin/sh "$IMAGE" -c \
  'test ! -e /usr/bin/g++ && test ! -e /usr/include/sqlite3.h && test -x /usr/local/bin/rookery' \
  2>>"$podman_log"; then
  pass "runtime stage has the binary and no compiler or headers"
else
  fail "runtime stage contents"
fi

echo "== container: run (host network, loopback ports, volume)"
tcp=$(free_port)
ws=$(free_port)
http=$(free_port)
podman volume create "$volume" >/dev/null
run_container() {
  # The image listens on 0.0.0.0 by default; on the host network the test keeps it on loopback.
  # Podman schedules health checks with systemd timers; without systemd as PID 1 the timer is
  # disabled and the check is run by hand below (`podman healthcheck run`).
  podman run -d --name "$name" --network host --health-interval disable -v "$volume:/var/lib/rookery" \
    -e ROOKERY_BIND=127.0.0.1 -e ROOKERY_HTTP_BIND=127.0.0.1 -e ROOKERY_TCP_PORT="$tcp" \
    -e ROOKERY_WS_PORT="$ws" -e ROOKERY_HTTP_PORT="$http" -e ROOKERY_MAX_CONNECTIONS=1000 \
    -e ROOKERY_ADMIN_USER=admin -e ROOKERY_ADMIN_PASSWORD=infra-check-password \
    "$IMAGE" >/dev/null 2>"$podman_log"
}
if ! run_container || ! wait_port "$tcp" 30; then
  fail "container did not start listening on 127.0.0.1:$tcp"
  { cat "$podman_log"; podman logs "$name" 2>&1; } | tail -n 20 | sed 's/^/    | /'
  exit 0
fi
pass "container listens on 127.0.0.1:$tcp (TCP) as $(podman exec "$name" id -u)"
if wait_http "http://127.0.0.1:$http/readyz" 10; then
  pass "/readyz answers 200 through the container's side-port"
  if podman healthcheck run "$name" >/dev/null 2>&1; then
    pass "podman healthcheck run: healthy"
  else
    fail "podman healthcheck run: unhealthy"
  fi
else
  skip "container /readyz and HEALTHCHECK: $SIDE_PORT_SKIP"
fi
# The bundles are found beside the binary (/usr/local/share/rookery/), with no flag or variable.
for page in "http://127.0.0.1:$http/admin/ admin console" "http://127.0.0.1:$ws/ web game"; do
  url=${page%% *}
  what=${page#* }
  if curl -fsS --max-time 5 "$url" | grep -qi '<html'; then
    pass "the image serves the $what at $url by default"
  else
    fail "the image does not serve the $what at $url"
  fi
done
device=container-check-$$
first=$(python3 "$INFRA_DIR/game_client.py" login --port "$tcp" --device-id "$device" 2>&1)
if [[ $first == LoginOk* ]]; then
  pass "game login through the container's TCP port: $first"
else
  fail "game login through the container's TCP port: $first"
fi

echo "== container: stop (SIGTERM drain) and restart on the same volume"
podman stop -t 45 "$name" >/dev/null 2>>"$podman_log"
code=$(podman inspect "$name" --format '{{.State.ExitCode}}')
if [[ $code == 0 ]]; then
  pass "podman stop: SIGTERM drained, exit code 0"
else
  fail "podman stop: exit code $code"
  podman logs "$name" 2>&1 | tail -n 20 | sed 's/^/    | /'
fi
podman rm "$name" >/dev/null 2>>"$podman_log"
if run_container && wait_port "$tcp" 30; then
  again=$(python3 "$INFRA_DIR/game_client.py" login --port "$tcp" --device-id "$device" 2>&1)
  if [[ -n $first && ${again%% display_name*} == "${first%% display_name*}" ]]; then
    pass "after a restart the volume keeps the player: $again"
  else
    fail "after a restart: '$again', before: '$first'"
  fi
else
  fail "container did not restart on the volume"
fi
