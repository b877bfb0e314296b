#!/bin/bash
# Container HEALTHCHECK: GET /healthz on the side-port (200 while every shard loop answers within
# 1 s). Uses bash's /dev/tcp, so the slim image needs no HTTP client.
set -uo pipefail
port=${ROOKERY_HTTP_PORT:-8080}
exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
printf 'GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3
read -r -t 3 _ status _ <&3 || exit 1
[[ $status == 200 ]]
