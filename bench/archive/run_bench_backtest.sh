#!/bin/sh
# Backtest benchmark (issue #14): 1,000 generated rules (the sample rules' vocabulary) over
# N archived items in 30 days, with 1 and 2 threads, without and with the index narrowing, next
# to the matcher alone over the same items in memory. Builds bench_backtest (Release, no
# sanitizers) in build-bench/ first.
# Usage: bench/archive/run_bench_backtest.sh [N] [ARCHIVE_DIR]
#   N: items (default 1000000); ARCHIVE_DIR: where the synthetic archive is kept between runs
#   (default /tmp/yq-bench-backtest-N; filled on the first run, which takes minutes).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
n=${1:-1000000}
dir=${2:-/tmp/yq-bench-backtest-$n}
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
  -DYQ_SANITIZE=OFF >/dev/null
make -C "$root/build-bench" -j2 bench_backtest >/dev/null
out=$("$root/build-bench/bench/archive/bench_backtest" "$dir" "$root/config/rules" "$n" 1000 \
  2>/dev/null)
echo "$out"
echo "$out" | awk '
  { v[$1] = $2 }
  END {
    for (t = 1; t <= 2; t++)
      if (v["peer_" t "t_s"] > 0)
        printf "overhead_ratio_%dt %.2f (backtest without narrowing / matcher alone)\n", t,
          v["backtest_" t "t_none_s"] / v["peer_" t "t_s"]
  }'
