#!/bin/sh
# How long a killed matcher's partitions stand still (issue #10, docs/operations.md): builds
# yuqing-matcher and bench_takeover (Release) in build-bench/, then for each session timeout
# starts two matchers on the mock cluster, kills one with SIGKILL and prints the time until
# the other holds both partitions. Needs redis-server.
#   bench/matcher/takeover.sh [SESSION_TIMEOUT_MS ...]      (default: 10000 6000)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
  -DYQ_SANITIZE=OFF >/dev/null
make -C "$root/build-bench" -j"$(nproc)" yuqing-matcher bench_takeover >/dev/null
cd "$root"
"$root/build-bench/bench/matcher/bench_takeover" "$root/build-bench/pipeline/yuqing-matcher" "$@"
