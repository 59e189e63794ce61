#!/bin/sh
# Polling measurement of issue #10 (no longer a test assertion): starts a throw-away
# redis-server on a free port, runs bench_poll_rounds (1,000 sources, 2 s interval, 5 s by
# default) and prints cycles and the worst/mean start delay.
# Usage: bench/collectors/run_poll_bench.sh BENCH_POLL_ROUNDS_BINARY [bench options...]
set -eu
bin=${1:?usage: run_poll_bench.sh BENCH_POLL_ROUNDS_BINARY [options]}
shift
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
rpid=$!
trap 'kill "$rpid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
ulimit -n 8192 2>/dev/null || true
"$bin" --redis-port "$port" "$@"
