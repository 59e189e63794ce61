#!/bin/sh
# Archive insert benchmark (issue #14): store rate and size, next to a plain SQLite table.
# Usage: bench/archive/run_bench_archive.sh BUILD_DIR [N]   (N items, default 200000)
# Prints the measured lines, then the size per million items extrapolated linearly from N.
set -eu
build=${1:?usage: run_bench_archive.sh BUILD_DIR [N]}
n=${2:-200000}
dir=$(mktemp -d /tmp/yq-bench-archive-XXXXXX)
trap 'rm -rf "$dir"' EXIT
out=$("$build/bench/archive/bench_archive_put" "$n" "$dir")
echo "$out"
echo "$out" | awk -v n="$n" '
  { v[$1] = $2 }
  END {
    f = 1000000 / n
    printf "per_million_archive_mib %.0f (extrapolated from %d items)\n", v["archive_bytes"] * f / 1048576, n
    printf "per_million_without_index_mib %.0f\n", v["archive_bytes_without_index"] * f / 1048576
    printf "per_million_index_mib %.0f\n", v["archive_index_bytes"] * f / 1048576
    printf "per_million_plain_mib %.0f\n", v["plain_bytes"] * f / 1048576
  }'
