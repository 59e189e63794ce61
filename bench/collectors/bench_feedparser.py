#!/usr/bin/env python3
"""The peer: python3-feedparser parsing the same files. Prints one line per file:
'<file> entries=<n> seconds=<s> items_per_s=<x> mb_per_s=<y>'. Usage: FILE... [--seconds S]"""
import sys
import time

import feedparser


def main():
    args = sys.argv[1:]
    budget = 5.0
    if "--seconds" in args:
        i = args.index("--seconds")
        budget = float(args[i + 1])
        del args[i:i + 2]
    for path in args:
        data = open(path, "rb").read()
        runs, entries, start = 0, 0, time.perf_counter()
        while True:
            d = feedparser.parse(data)
            entries += len(d.entries)
            runs += 1
            elapsed = time.perf_counter() - start
            if elapsed >= budget:
                break
        print("%s entries=%d seconds=%.3f items_per_s=%.1f mb_per_s=%.3f"
              % (path, len(d.entries), elapsed, entries / elapsed,
                 len(data) * runs / elapsed / 1e6))


if __name__ == "__main__":
    main()
