#!/bin/bash
# Put rate of the archive's server backend, binaries side by side (issue #16): each run of
# each bench_archive_pg binary (interleaved, in the order given) fills a fresh schema of the
# PostgreSQL database at URL (created and dropped here) and a new SQLite archive; prints each
# run's put rates, then per binary the medians and the PostgreSQL / SQLite ratio.
# Usage: run_bench_archive_pg_ab.sh URL N RUNS BIN [BIN...]
#   e.g. run_bench_archive_pg_ab.sh "$(cat /tmp/pg/url)" 5000 3 old/bench_archive_pg new/bench_archive_pg
#   (URL: a database the user may create schemas in, e.g. scripts/pg-test-server.sh's)
set -euo pipefail
url=${1:?usage: run_bench_archive_pg_ab.sh URL N RUNS BIN [BIN...]}
n=${2:?N}
runs=${3:?RUNS}
shift 3
sep='?'
case $url in *\?*) sep='&' ;; esac
out=$(mktemp /tmp/yq-bench-ab-XXXXXX)
trap 'rm -f "$out"' EXIT
for r in $(seq 1 "$runs"); do
  b=0
  for bin in "$@"; do
    b=$((b + 1))
    schema=bench_ab_${b}_${r}_$$
    psql -qX "$url" -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null 2>&1
    res=$("$bin" "$url${sep}options=-csearch_path%3D$schema" "$n" 2>/dev/null)
    rm -rf "$(echo "$res" | awk '$1 == "dir" { print $2 }')"
    psql -qX "$url" -c "DROP SCHEMA $schema CASCADE" >/dev/null 2>&1
    echo "$res" | awk -v b="$bin" -v r="$r" '$1 ~ /_items_per_s$/ { print b, "run" r, $1, $2 }' |
      tee -a "$out"
  done
done
for bin in "$@"; do
  awk -v b="$bin" '
    function median(a, n,   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    $1 == b && $3 == "pg_items_per_s" { pg[++np] = $4 }
    $1 == b && $3 == "sqlite_items_per_s" { sq[++ns] = $4 }
    END {
      mp = median(pg, np); ms = median(sq, ns)
      printf "%s median pg_items_per_s %.0f sqlite_items_per_s %.0f pg/sqlite %.2f (%d runs)\n", b, mp, ms, mp / ms, np
    }' "$out"
done
