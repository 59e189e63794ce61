#!/usr/bin/env python3
"""bench/collectors/collector_cost.py: the collector's cost per produced item (issue #16,
"Collector cost per item"): Redis calls per item (INFO commandstats delta) and the collector's
CPU milliseconds per item, against the feed farm of bench/e2e (feed_farm.py).

Only the collector runs (no matcher, no notifier): a private redis-server, librdkafka's mock
cluster (yuqingctl kafka-dev), the farm (--feeds RSS feeds on --hosts loopback addresses gaining
--rate entries/s in all, a window of --window seconds) and yuqing-collector polling every feed
every --interval. Production runs --duration seconds after --warmup; the run then waits until
the collector produced every entry or nothing moved for --settle seconds. The deltas are taken
from the start of production to the end of the drain.

Old against new: give several builds (--build A --build B) and --repeat N; the runs are
interleaved (A B A B ...) so that the load of a shared machine falls on both alike, and the
medians and the ratio new/old (last build over first) are printed. Standard library only.

  bench/collectors/collector_cost.py --build /tmp/base-rel --build build-collector-rel \\
      --rate 1000 --duration 20 --repeat 3 --out /tmp/collector-cost.json
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import e2e  # noqa: E402
from e2e import cpu_seconds, metrics, wait_until  # noqa: E402
from yq_procs import free_port  # noqa: E402

PRODUCED = "yuqing_collector_source_items_produced_total"
REQUESTS = "yuqing_collector_requests_total"


def commandstats(port):
    """{command: calls} of a redis-server."""
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "commandstats"],
                         capture_output=True, text=True, timeout=30).stdout
    stats = {}
    for line in out.splitlines():
        if line.startswith("cmdstat_"):
            name, _, fields = line[8:].partition(":")
            kv = dict(f.split("=", 1) for f in fields.split(",") if "=" in f)
            stats[name] = int(kv.get("calls", 0))
    return stats


class CostRun(e2e.Run):
    """One collector-only run in its own folder (e2e.Run's Redis, Kafka, farm and sources)."""

    def __init__(self, opt, build, tag):
        opt.store = tag  # e2e.Run names the folder STORE-RATE
        super().__init__(opt, opt.rate, None)
        self.build_dir = build

    def bin(self, rel):
        return os.path.join(self.build_dir, rel)

    def start(self):
        o = self.opt
        self.start_redis_kafka()
        self.t0 = time.time() + o.warmup
        ready = self.path("farm.port")
        self.spawn("farm", [sys.executable, os.path.join(HERE, "..", "e2e", "feed_farm.py"),
                            "--rate", str(self.rate), "--duration", str(o.duration), "--t0",
                            str(self.t0), "--feeds", str(o.feeds), "--hosts", str(o.hosts),
                            "--window-s", str(o.window), "--seed", str(o.seed), "--run-id",
                            self.run_id, "--ready", ready, "--out", self.path("farm.tsv"),
                            "--stats", self.path("farm-stats.json")])
        wait_until("feed farm", lambda: os.path.exists(ready), 15)
        with open(ready) as f:
            self.farm_port = int(f.read())
        self.collector_port = free_port()
        self.spawn("collector", [self.bin("collectors/yuqing-collector"), "--config",
                                 self.write_sources(), *o.collector_set])
        wait_until("collector /metrics", lambda: metrics(self.collector_port), 30)

    def produced(self):
        return metrics(self.collector_port).get(PRODUCED, 0.0)

    def requests(self):
        return metrics(self.collector_port).get(REQUESTS, 0.0)

    def run(self):
        o = self.opt
        total = int(round(self.rate * o.duration))
        while time.time() < self.t0:
            time.sleep(0.05)
        pid = self.procs["collector"].pid
        cpu0, calls0, n0 = cpu_seconds(pid), commandstats(self.redis_port), self.produced()
        req0 = self.requests()
        perf = None
        if o.perf:  # where the time goes: perf report -i WORK/.../perf-collector.data
            perf = subprocess.Popen(["perf", "record", "-q", "-F", "499", "-g", "-p", str(pid),
                                     "-o", self.path("perf-collector.data")],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(max(0.0, self.t0 + o.duration - time.time()))
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=60)
        last, last_change, drain_start = None, time.monotonic(), time.monotonic()
        while time.monotonic() - drain_start < o.drain_max:
            self.check_alive()
            n = self.produced()
            if n != last:
                last, last_change = n, time.monotonic()
            if n - n0 >= total or time.monotonic() - last_change >= o.settle:
                break
            time.sleep(0.5)
        cpu1, calls1, n1 = cpu_seconds(pid), commandstats(self.redis_port), self.produced()
        polls = self.requests() - req0
        self.stop("collector")
        self.stop("farm")
        items = n1 - n0
        delta = {c: calls1.get(c, 0) - calls0.get(c, 0) for c in calls1}
        delta.pop("info", None)  # this script's own
        delta = {c: v for c, v in sorted(delta.items(), key=lambda x: -x[1]) if v}
        calls = sum(delta.values())
        return {"build": self.build_dir, "rate": self.rate, "duration_s": o.duration,
                "entries": total, "produced": int(items), "cpu_s": round(cpu1 - cpu0, 3),
                "redis_calls": calls, "redis_calls_by_command": delta,
                "cpu_ms_per_item": round(1000.0 * (cpu1 - cpu0) / items, 4) if items else None,
                "redis_calls_per_item": round(calls / items, 3) if items else None,
                "polls": int(polls),
                "redis_calls_per_poll": round(calls / polls, 2) if polls else None,
                "items_per_poll": round(items / polls, 2) if polls else None,
                "loadavg_end": open("/proc/loadavg").read().split()[:3]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", action="append", required=True,
                    help="build folder (RelWithDebInfo, no sanitizers); repeat to compare")
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--rate", type=float, default=1000.0, help="entries/s, all feeds")
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--warmup", type=float, default=8.0)
    ap.add_argument("--drain-max", type=float, default=30.0)
    ap.add_argument("--settle", type=float, default=5.0)
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--interval", default="1s")
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="/tmp/yuqing-bench-collector-cost")
    ap.add_argument("--out", default="bench-collector-cost.json")
    ap.add_argument("--collector-set", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--perf", action="store_true",
                    help="perf record -g the collector during production (WORK/*/perf-collector.data)")
    opt = ap.parse_args()
    opt.source = os.path.abspath(opt.source)
    sets = []
    for kv in opt.collector_set:
        sets += ["--set", kv]
    opt.collector_set = sets
    builds = [os.path.abspath(b) for b in opt.build]
    runs = {b: [] for b in builds}
    for rep in range(opt.repeat):
        for i, b in enumerate(builds):
            run = CostRun(opt, b, f"b{i}-r{rep}")
            try:
                run.start()
                r = run.run()
            finally:
                run.close()
            runs[b].append(r)
            print(f"{b} run {rep + 1}: produced {r['produced']}/{r['entries']}  "
                  f"redis calls/item {r['redis_calls_per_item']}  "
                  f"collector CPU ms/item {r['cpu_ms_per_item']}  polls {r['polls']} "
                  f"(items/poll {r['items_per_poll']}, redis calls/poll "
                  f"{r['redis_calls_per_poll']})  load {r['loadavg_end']}  "
                  f"top {list(r['redis_calls_by_command'].items())[:6]}", flush=True)
    summary = {}
    for b in builds:
        rs = [r for r in runs[b] if r["produced"]]
        summary[b] = {
            "runs": len(rs),
            "produced_median": statistics.median(r["produced"] for r in rs) if rs else None,
            "redis_calls_per_item_median":
                statistics.median(r["redis_calls_per_item"] for r in rs) if rs else None,
            "cpu_ms_per_item_median":
                statistics.median(r["cpu_ms_per_item"] for r in rs) if rs else None,
            "redis_calls_per_poll_median":
                statistics.median(r["redis_calls_per_poll"] for r in rs) if rs else None,
            "items_per_poll_median":
                statistics.median(r["items_per_poll"] for r in rs) if rs else None}
        print(f"{b}: median of {len(rs)}: produced {summary[b]['produced_median']}  "
              f"redis calls/item {summary[b]['redis_calls_per_item_median']}  "
              f"collector CPU ms/item {summary[b]['cpu_ms_per_item_median']}  redis calls/poll "
              f"{summary[b]['redis_calls_per_poll_median']}  items/poll "
              f"{summary[b]['items_per_poll_median']}")
    if len(builds) > 1:
        a, z = summary[builds[0]], summary[builds[-1]]
        for k in ("redis_calls_per_item_median", "cpu_ms_per_item_median",
                  "redis_calls_per_poll_median"):
            if a[k] and z[k]:
                print(f"ratio {k} last/first: {z[k] / a[k]:.3f} (first/last {a[k] / z[k]:.1f}x)")
    with open(opt.out, "w") as f:
        json.dump({"summary": summary, "runs": runs, "rate": opt.rate,
                   "duration_s": opt.duration, "cores": os.cpu_count()}, f, indent=1)
    print(f"results in {opt.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
