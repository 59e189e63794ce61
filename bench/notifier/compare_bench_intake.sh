#!/usr/bin/env bash
# Old vs new alert intake side by side (issue #16; docs/operations.md "Batch intake"): two
# builds' bench_intake (the peer: an older commit built with the same bench source) run in
# turn, ROUNDS times each, on one SQLite folder and one private PostgreSQL 15
# (scripts/pg-dev.sh, fsync on), batches of B, one way (batch or single). Prints every run
# (alerts/s, client CPU, statements per alert, and for PostgreSQL the server's CPU seconds of
# the run, store creation included) and the medians with their ratio new/old.
#   bench/notifier/compare_bench_intake.sh OLD_BUILD NEW_BUILD [ROUNDS [N [B [WAYS]]]]
#   (defaults: 5 rounds, 10000 alerts, batches of 500, batch)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
old=${1:?old build folder}
new=${2:?new build folder}
rounds=${3:-5}
n=${4:-10000}
b=${5:-500}
way=${6:-batch}
for d in "$old" "$new"; do
  [ -x "$d/bench/notifier/bench_intake" ] || { echo "missing $d/bench/notifier/bench_intake" >&2; exit 2; }
done
# shellcheck source-path=SCRIPTDIR source=intake_lib.sh
. "$here/intake_lib.sh"
intake_tmp
intake_pg_start
# CPU seconds of the server's exited backends (a run's backend exits when its store closes)
server_cpu() {
  local pm
  pm=$(head -1 "$tmp/pg/data/postmaster.pid")
  awk -v t="$(getconf CLK_TCK)" '{print ($16 + $17) / t}' "/proc/$pm/stat"
}
echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of $n alerts, batches of $b, way $way"
out=$tmp/runs
for store in sqlite postgresql; do
  loc=$tmp
  [ "$store" = postgresql ] && loc=$url
  for r in $(seq 1 "$rounds"); do
    for which in old new; do
      dir=$old
      [ "$which" = new ] && dir=$new
      c0=$(server_cpu)
      line=$("$dir/bench/notifier/bench_intake" "$n" "$loc" "$b" "$way" | grep "^$way ")
      sleep 0.5
      c1=$(server_cpu)
      extra=""
      [ "$store" = postgresql ] && extra=" server_cpu_s=$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.2f", b - a}')"
      echo "$which load=$(cut -d' ' -f1 /proc/loadavg) $line$extra" | tee -a "$out"
    done
  done
  for which in old new; do
    grep "^$which .* $store " "$out" | sed 's/.*alerts_per_s=\([0-9]*\).*/\1/' | sort -n |
      awk -v w="$which" -v s="$store" '{v[NR] = $1} END {m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print "median " s " " w " alerts_per_s=" m}' |
      tee -a "$tmp/medians"
  done
  awk -v s="$store" '$2 == s {split($4, a, "="); m[$3] = a[2]} END {if (m["old"] > 0) printf "ratio %s new/old = %.2f\n", s, m["new"] / m["old"]}' "$tmp/medians"
done
