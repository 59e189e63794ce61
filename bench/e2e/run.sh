#!/bin/sh
# bench/e2e: item -> ticket latency of the real processes against a local feed farm (issue #16).
# Builds a RelWithDebInfo tree without sanitizers (build-e2e-rel, or BUILD_DIR) when it has no
# binaries, then runs bench/e2e/e2e.py with the given options, e.g.
#   bench/e2e/run.sh                                  SQLite at 100, 1,000 and 5,000 items/s
#   bench/e2e/run.sh --store postgresql --rates 1000  PostgreSQL (scripts/pg-dev.sh) at 1,000/s
# Results: a table per rate on stdout and bench-e2e.json (--out). See bench/e2e/README.md.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build-e2e-rel}
if [ ! -x "$build/notifier/yuqing-notifier" ] || [ ! -x "$build/tools/yuqingctl" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DYQ_TESTS=OFF \
        -DYQ_SANITIZE=OFF >/dev/null
    cmake --build "$build" -j2 --target yuqing-notifier yuqing-matcher yuqing-collector yuqingctl
fi
ulimit -n 8192 2>/dev/null || true
exec python3 "$root/bench/e2e/e2e.py" --build "$build" --source "$root" "$@"
