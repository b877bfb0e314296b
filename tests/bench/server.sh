# shellcheck shell=bash
# Starting and stopping the `rookery` under measurement, for the benchmark scripts (sourced).
#
#   bench_start_server DIR [PREFIX...] -- [SERVE FLAGS...]
#       starts `PREFIX... $SERVER_BIN serve` with the ports picked by the kernel and the
#       measurement defaults below, its output in DIR/server.out and DIR/server.err; waits for
#       the banner and sets SERVER_PID, TCP_PORT, WS_PORT and HTTP_PORT. Returns 1 if it did
#       not start within 20 s.
#   bench_stop_server
#       SIGTERM (a clean drain), then SIGKILL after 10 s; only the PID it started.
#
# The defaults keep the server's own limits out of the way of the load: 19,900 connections
# (under the 20,000 open-file limit), 100 messages/s per client, a 256 KiB outbound queue, a
# 60 s idle timeout, a 3 s shutdown deadline, warnings only, no web game folder. Flags after
# `--` come later on the command line, so they override these.

SERVER_BIN=${SERVER_BIN:-}  # the rookery binary: set by the script that sources this
SERVER_PID=""
TCP_PORT=""
WS_PORT=""
HTTP_PORT=""

bench_start_server() {
  local dir=$1
  shift
  local launcher=()
  while (($#)) && [[ $1 != -- ]]; do
    launcher+=("$1")
    shift
  done
  [[ ${1:-} == -- ]] && shift
  [[ -n $SERVER_BIN ]] || { echo "bench_start_server: SERVER_BIN is not set" >&2; return 1; }
  mkdir -p "$dir"
  "${launcher[@]}" "$SERVER_BIN" serve --tcp-port 0 --ws-port 0 --http-port 0 \
    --db "$dir/rookery.db" --max-connections 19900 --msg-rate 100 --msg-burst 200 \
    --outbound-queue-bytes 262144 --idle-timeout-ms 60000 --shutdown-deadline-ms 3000 \
    --log-level warn --web-root none "$@" >"$dir/server.out" 2>"$dir/server.err" &
  SERVER_PID=$!
  TCP_PORT="" WS_PORT="" HTTP_PORT=""
  local i
  for ((i = 0; i < 200; i++)); do
    TCP_PORT=$(sed -n 's|.*Game, raw TCP: *tcp://[^:]*:\([0-9]*\).*|\1|p' "$dir/server.out" | head -1)
    WS_PORT=$(sed -n 's|.*Game, WebSocket: *ws://[^:]*:\([0-9]*\).*|\1|p' "$dir/server.out" | head -1)
    HTTP_PORT=$(sed -n 's|.*Metrics, health: *http://[^:]*:\([0-9]*\)/.*|\1|p' "$dir/server.out" | head -1)
    [[ -n $TCP_PORT && -n $WS_PORT && -n $HTTP_PORT ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not start; the end of $dir/server.err:" >&2
  tail -5 "$dir/server.err" >&2 || true
  return 1
}

bench_stop_server() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}
