#!/bin/sh
# Parse throughput of the collector's parser against python3-feedparser on the same generated
# 2,000-entry Chinese RSS and Atom files, run side by side; prints both and the ratio.
# Usage: bench/collectors/run_bench.sh BENCH_PARSE_BINARY [SECONDS]
# Build the binary without sanitizers, e.g.
#   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DYQ_TESTS=OFF && make -C build-rel bench_parse
set -eu
bin=${1:?usage: run_bench.sh BENCH_PARSE_BINARY [SECONDS]}
secs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
# Debian's python3-feedparser lives in the system interpreter, not in a pyenv/venv one
py=${PYTHON:-python3}
if ! "$py" -c 'import feedparser' 2>/dev/null; then
    py=/usr/bin/python3
fi
out=${TMPDIR:-/tmp}/yq-bench-feeds
python3 "$here/gen_feeds.py" "$out" 2000
rate() { echo "$1" | sed 's/.*items_per_s=\([0-9.]*\).*/\1/'; }
for f in rss_2000.xml atom_2000.xml; do
    # parse: feed_parse() alone (what feedparser.parse() does); items: plus the entry → item
    # mapping the collector does per entry (ids, canonical URL, HTML to text, JSON)
    c=$("$bin" --seconds "$secs" --parse-only "$out/$f")
    ci=$("$bin" --seconds "$secs" "$out/$f")
    p=$("$py" "$here/bench_feedparser.py" --seconds "$secs" "$out/$f")
    size=$(wc -c < "$out/$f")
    echo "$f ($size bytes)"
    echo "  yuqing parse:       $c" | sed "s|$out/||"
    echo "  yuqing parse+items: $ci" | sed "s|$out/||"
    echo "  feedparser:         $p" | sed "s|$out/||"
    "$py" -c "print('  ratio items/s: parse %.1fx, parse+items %.1fx' % ($(rate "$c") / $(rate "$p"), $(rate "$ci") / $(rate "$p")))"
done
