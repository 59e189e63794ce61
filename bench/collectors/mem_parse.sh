#!/bin/sh
# Peak RSS of `yuqing-collector parse --format items` on generated large feeds (issue #10):
# prints, per shape, the body size, the peak resident set (GNU time %M) and their ratio.
# Numbers go to docs/collectors.md and docs/operations.md, never into a ctest.
# Usage: bench/collectors/mem_parse.sh YUQING_COLLECTOR_BINARY [SIZE_MB] [SHAPE...]
# Build the binary without sanitizers, e.g.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF
#   cmake --build build-rel --target yuqing-collector
set -eu
bin=${1:?usage: mem_parse.sh YUQING_COLLECTOR_BINARY [SIZE_MB] [SHAPE...]}
mb=${2:-200}
shift
[ $# -gt 0 ] && shift
shapes=${*:-huge-text huge-html many-small gb18030}
here=$(cd "$(dirname "$0")" && pwd)
dir=${TMPDIR:-/tmp}/yq-mem-feeds
mkdir -p "$dir"
printf '%-11s %12s %12s %7s %6s\n' shape body_bytes peak_rss_kb ratio items
for s in $shapes; do
    f="$dir/$s-$mb.xml"
    [ -f "$f" ] || python3 "$here/gen_big_feed.py" "$s" "$mb" "$f"
    size=$(wc -c < "$f")
    out=$(/usr/bin/time -f '%M' "$bin" parse --format items "$f" 2>"$dir/time.txt" | wc -l)
    kb=$(tail -n 1 "$dir/time.txt")
    ratio=$(awk -v k="$kb" -v b="$size" 'BEGIN { printf "%.2f", k * 1024 / b }')
    printf '%-11s %12s %12s %7s %6s\n' "$s" "$size" "$kb" "$ratio" "$out"
done
