#!/bin/sh
# bench/e2e old against new, interleaved (a shared machine's load drifts: each pair of runs
# sees about the same load). Both builds run under this tree's e2e.py; each uses its own
# source tree's configs and rules.
#   bench/e2e/ab.sh OLD_BUILD OLD_SOURCE NEW_BUILD NEW_SOURCE [RUNS [RATES [OUT_DIR]]]
# e.g. bench/e2e/ab.sh /tmp/old-rel /tmp/old-src build-rel . 3 100,1000 /tmp/e2e-ab
# Writes OUT_DIR/old-N.json and new-N.json, then prints e2e.py --compare (medians, new/old).
# Extra e2e.py options (durations, --*-set) go in E2E_OPTS. See bench/e2e/README.md.
set -eu
[ $# -ge 4 ] || { sed -n 2,9p "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
old_build=$1 old_src=$2 new_build=$3 new_src=$4
runs=${5:-3} rates=${6:-100,1000} out=${7:-/tmp/yuqing-bench-e2e-ab}
mkdir -p "$out"
ulimit -n 8192 2>/dev/null || true
i=1
while [ "$i" -le "$runs" ]; do
    # alternate which build goes first, so neither always runs on the fresher machine
    if [ $((i % 2)) -eq 1 ]; then order="old new"; else order="new old"; fi
    for which in $order; do
        if [ "$which" = old ]; then b=$old_build s=$old_src; else b=$new_build s=$new_src; fi
        echo "bench/e2e/ab.sh: run $i/$runs $which ($b)"
        # shellcheck disable=SC2086
        python3 "$here/e2e.py" --build "$b" --source "$s" --rates "$rates" \
            --work "$out/work" --out "$out/$which-$i.json" ${E2E_OPTS:-}
    done
    i=$((i + 1))
done
olds=$(ls "$out"/old-*.json | paste -sd, -)
news=$(ls "$out"/new-*.json | paste -sd, -)
python3 "$here/e2e.py" --compare "$olds" "$news"
