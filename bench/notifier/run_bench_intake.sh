#!/usr/bin/env bash
# Alert intake throughput (issue #16; docs/operations.md "Batch intake"): bench_intake on a
# SQLite file (WAL, synchronous=FULL) in a temporary folder, then on a private PostgreSQL 15
# (scripts/pg-dev.sh, fsync on) in the same folder: batches of B vs one alert per transaction.
#   bench/notifier/run_bench_intake.sh BUILD [N [B]]   (N alerts per way, default 20000; B 500)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:?build folder (cmake --build BUILD --target bench_intake)}
n=${2:-20000}
b=${3:-500}
bin=$build/bench/notifier/bench_intake
[ -x "$bin" ] || { echo "missing $bin: cmake --build $build --target bench_intake" >&2; exit 2; }
# shellcheck source-path=SCRIPTDIR source=intake_lib.sh
. "$here/intake_lib.sh"
intake_tmp
echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" "$n" "$tmp" "$b"
intake_pg_start
"$bin" "$n" "$url" "$b"
