#!/bin/sh
# Matcher benchmark: builds bench_matcher (Release, no sanitizers) in build-bench/, runs it
# and the pyahocorasick peer on the same generated rules and items, prints the ratios.
#   bench/matcher/run.sh [N_ITEMS]        (default 20000 items of ~500 bytes)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
items=${1:-20000}
out=$(mktemp -d /tmp/yq-bench-matcher.XXXXXX)
trap 'rm -rf "$out"' EXIT
cmake -S "$root" -B "$root/build-bench" -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF \
  -DYQ_SANITIZE=OFF >/dev/null
make -C "$root/build-bench" -j"$(nproc)" bench_matcher >/dev/null
"$root/build-bench/bench/matcher/bench_matcher" "$out" "$items" | tee "$out/c.txt"
/usr/bin/python3 "$root/bench/matcher/peer_pyahocorasick.py" "$out" | tee "$out/py.txt"
get() { tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"; }
m=$(get "$out/c.txt" matcher_items_per_s)
r=$(get "$out/c.txt" raw_items_per_s)
p=$(get "$out/py.txt" peer_items_per_s)
awk -v m="$m" -v r="$r" -v p="$p" 'BEGIN {
  printf "ratio matcher/raw_vectorscan=%.2f (goal >= 0.40)\n", m / r
  printf "ratio matcher/python_peer=%.1f (goal >= 10)\n", m / p }' 
if [ "$(get "$out/c.txt" rules_fired)" != "$(get "$out/py.txt" peer_rules_fired)" ]; then
  echo "WARNING: the C matcher and the Python peer disagree on the rules fired" >&2
fi
