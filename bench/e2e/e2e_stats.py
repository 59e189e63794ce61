"""Statistics of bench/e2e (pure functions, unit-tested by test_e2e_stats.py).

percentile() is the nearest-rank percentile (the smallest value with at least p % of the values
at or below it; no interpolation, so every figure is a latency some item really had).
"""
import math


def percentile(values, p):
    """Nearest-rank percentile of values (any order) for 0 < p <= 100; None when empty."""
    if not values:
        return None
    if not 0 < p <= 100:
        raise ValueError(f"percentile {p} outside (0, 100]")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


def summary(values):
    """{n, p50, p99, max} of a list of milliseconds (values rounded to 0.1 ms)."""
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(p):
        return round(ordered[max(1, math.ceil(p / 100.0 * len(ordered))) - 1], 1)

    return {"n": len(ordered), "p50": at(50), "p99": at(99), "max": round(ordered[-1], 1)}


def windows(points, width_ms):
    """Latency over time: points are (t_ms, latency_ms); one {start_s, n, p50, p99} per window
    of width_ms from the first point's time (start_s is seconds from that first time)."""
    if not points:
        return []
    t_first = min(t for t, _ in points)
    buckets = {}
    for t, v in points:
        buckets.setdefault(int((t - t_first) // width_ms), []).append(v)
    out = []
    for i in sorted(buckets):
        s = summary(buckets[i])
        out.append({"start_s": round(i * width_ms / 1000.0, 3), "n": s["n"], "p50": s["p50"],
                    "p99": s["p99"]})
    return out


def completeness(entries, stored):
    """Where each produced entry got to.

    entries: {k: first_served_ms (0 = never served by the farm)} for every produced entry;
    stored: {k: row} for the entries found in the store (event or ticket item rows).
    Returns {produced, fetched, stored, missing, missing_never_fetched, missing_after_fetch}:
    fetched = served by the farm at least once; missing = produced and not stored, split into
    never fetched (slid out of the feed's window unpolled) and fetched but not stored (lost or
    still queued in the collector, matcher or notifier)."""
    produced = len(entries)
    fetched = sum(1 for v in entries.values() if v)
    n_stored = sum(1 for k in entries if k in stored)
    never = sum(1 for k, v in entries.items() if not v and k not in stored)
    missing = produced - n_stored
    return {"produced": produced, "fetched": fetched, "stored": n_stored, "missing": missing,
            "missing_never_fetched": never, "missing_after_fetch": missing - never}


def parse_farm_tsv(lines):
    """The farm's record: lines "k<TAB>created_ms<TAB>first_served_ms" -> {k: (created,
    served)}. A malformed line raises ValueError naming it."""
    out = {}
    for no, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"farm record line {no}: want 3 fields, got {len(parts)}")
        k, created, served = int(parts[0]), float(parts[1]), float(parts[2])
        if k < 0 or k in out:
            raise ValueError(f"farm record line {no}: entry {k} negative or repeated")
        out[k] = (created, served)
    return out


def entry_of_url(url):
    """The farm entry number in an item link http://HOST:PORT/a/FEED/K.html, or None."""
    marker = url.rfind("/a/")
    if marker < 0 or not url.endswith(".html"):
        return None
    parts = url[marker + 3:-5].split("/")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[1])


def steady(windows_list):
    """{min, median, max} of the per-window p99s after the first window (the first 5 s poll
    every feed at once: a start-up burst, not the steady state); None values when fewer than
    two windows."""
    p99s = [w["p99"] for w in windows_list[1:] if w.get("p99") is not None]
    if not p99s:
        return {"min": None, "median": None, "max": None}
    return {"min": min(p99s), "median": median(p99s), "max": max(p99s)}


def median(values):
    """The median of values (mean of the middle two for an even count); None when empty."""
    v = sorted(x for x in values if x is not None)
    if not v:
        return None
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else (v[mid - 1] + v[mid]) / 2.0


def figures(run):
    """The figures bench/e2e compares between builds, from one run's JSON object: latency
    p50/p99 of each stage (ms), the steady p99 (median of the per-5 s p99s after the first),
    CPU ms per item of each process, the other processes' CPU seconds; {name: value}."""
    out = {}
    lat = run["latency_ms"]
    for stage in ("fetch_to_store", "fetch_to_match", "match_to_store"):
        for p in ("p50", "p99"):
            out[f"{stage} {p} (ms)"] = lat[stage][p]
    out["fetch_to_store steady p99 (ms)"] = steady(run["fetch_to_store_p99_per_5s"])["median"]
    c = run["completeness"]
    for name, cpu in sorted(run["cpu_s"].items()):
        n = c["stored"] if name in ("notifier", "postgresql") else c["fetched"]
        out[f"cpu ms/item {name}"] = round(1000.0 * cpu / n, 3) if n else None
    out["missing"] = c["missing"]
    out["other processes cpu (s)"] = run["machine"]["other_cpu_s"]
    return out


def compare(old_runs, new_runs):
    """Rows (name, old median, new median, new / old) of figures() over several runs of each
    build at one rate (interleaved runs on a shared machine: the medians damp its noise);
    the ratio is None when either median is None or old's is 0."""
    names = []
    for r in list(old_runs) + list(new_runs):
        for k in figures(r):
            if k not in names:
                names.append(k)
    rows = []
    for k in names:
        a = median([figures(r).get(k) for r in old_runs])
        b = median([figures(r).get(k) for r in new_runs])
        ratio = round(b / a, 3) if a and b is not None else None
        rows.append((k, a, b, ratio))
    return rows
