#!/bin/sh
# Near-duplicate event lookup, old script against pipeline/event.c's (issue #16): builds
# bench_event_lookup (Release) in build-bench/, starts a private redis-server (no
# persistence, data in a temporary folder) and prints per-item cost at 10^3 .. MAX events,
# one item per round trip and (new script) in pipelined batches of 100 as the matcher sends
# them.
#   bench/matcher/run_event_lookup.sh [MAX_EVENTS [DUP_PERCENT [PROBES]]]
# (defaults 1000000, 50, 2000; 10^6 needs ~0.9 GB of Redis memory and took 20 min to fill on
# a busy 2-core machine)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
max=${1:-1000000}
dup=${2:-50}
probes=${3:-2000}
dir=$(mktemp -d /tmp/yq-bench-event.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
  -DYQ_SANITIZE=OFF >/dev/null
make -C "$root/build-bench" -j2 bench_event_lookup >/dev/null
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
trap 'kill "$(cat "$dir/redis.pid")" 2>/dev/null; rm -rf "$dir"' EXIT
i=0
until redis-cli -p "$port" ping >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 50 ] || { echo "redis-server did not start" >&2; exit 1; }
  sleep 0.1
done
"$root/build-bench/bench/matcher/bench_event_lookup" "$port" "$max" "$dup" "$probes"
