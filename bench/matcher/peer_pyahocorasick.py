#!/usr/bin/python3
"""Python peer for bench_matcher: pyahocorasick (Debian python3-ahocorasick) over the same
(already normalised) items, plus the same boolean evaluation of the same rules, evaluated
only for rules with a positive term present (as the C matcher does).

usage: peer_pyahocorasick.py OUTDIR   (reads OUTDIR/rules.json and OUTDIR/items.txt written
by bench_matcher; prints key=value lines)
"""
import json
import re
import sys
import time

import ahocorasick

GROUP = re.compile(r"(!?)\(([^)]*)\)")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else "/tmp"
    with open(f"{outdir}/rules.json", encoding="utf-8") as f:
        rules = json.load(f)["rules"]
    with open(f"{outdir}/items.txt", encoding="utf-8") as f:
        items = [line.rstrip("\n") for line in f]

    # each rule: (positive groups, negative groups), groups are lists of terms
    parsed = []
    term_rules = {}
    for idx, r in enumerate(rules):
        pos, neg = [], []
        for bang, body in GROUP.findall(r["expr"]):
            terms = [t.strip() for t in body.split("|")]
            (neg if bang else pos).append(terms)
            if not bang:
                for t in terms:
                    term_rules.setdefault(t, set()).add(idx)
        parsed.append((pos, neg))

    auto = ahocorasick.Automaton()
    for term in {t for pos, neg in parsed for g in pos + neg for t in g}:
        auto.add_word(term, term)
    auto.make_automaton()

    best = None
    for _ in range(2):
        start = time.perf_counter()
        fired = 0
        for text in items:
            found = set()
            for _end, term in auto.iter(text):
                found.add(term)
            cands = set()
            for t in found:
                cands |= term_rules.get(t, set())
            for idx in cands:
                pos, neg = parsed[idx]
                if all(any(t in found for t in g) for g in pos) and not any(
                    t in found for g in neg for t in g
                ):
                    fired += 1
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    nbytes = sum(len(t.encode("utf-8")) for t in items)
    print(f"peer_items_per_s={len(items) / best:.0f} peer_mb_per_s={nbytes / best / 1e6:.1f} "
          f"peer_rules_fired={fired}")


if __name__ == "__main__":
    main()
