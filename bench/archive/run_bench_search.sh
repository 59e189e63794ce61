#!/bin/sh
# Search benchmark (issue #14): builds bench_search (Release, no sanitizers) in build-bench/,
# fills (once) an archive of N items over 30 days and the plain-table peer in DIR, and prints
# p50/p95 of two-term queries with a 7-day filter against the LIKE peer (docs/operations.md).
#   bench/archive/run_bench_search.sh [N_ITEMS] [DIR]   (default 1000000, /tmp/yq-bench-search)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
items=${1:-1000000}
dir=${2:-/tmp/yq-bench-search}
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
  -DYQ_SANITIZE=OFF >/dev/null
make -C "$root/build-bench" -j2 bench_search >/dev/null
"$root/build-bench/bench/archive/bench_search" "$dir" "$items" 30
