#!/usr/bin/env python3
"""bench/e2e: item -> ticket latency of the real processes (issue #16, "Milliseconds end to end").

For each rate (items/s, all feeds together) it starts, in a fresh folder under --work:
a private redis-server, librdkafka's mock cluster (yuqingctl kafka-dev), the feed farm
(feed_farm.py: --feeds RSS feeds on --hosts loopback addresses gaining entries at the rate),
the rules of config/rules pushed to Redis, a fresh ticket store (SQLite file, or a new database
on a private PostgreSQL started with scripts/pg-dev.sh for --store postgresql), and then
yuqing-notifier, yuqing-matcher and yuqing-collector (sources = the farm's feeds, poll interval
--interval), each with its config generated in the folder. Entries are produced for --duration
seconds, then the run drains (until every entry is stored, nothing moved for --settle seconds,
or --drain-max), the processes stop with SIGTERM, and the store is read:

  completeness: produced (farm), fetched (served by the farm at least once), collector items,
    matcher alerts, notifier alerts (their /metrics), stored (entries found in event_items or
    ticket_items by their link), missing (never fetched / fetched but not stored);
  latency (ms) of every stored entry: stored_at_ms - fetched_at_ms (item -> ticket, the poll
    interval excluded), matched_at_ms - fetched_at_ms, stored_at_ms - matched_at_ms, and for
    information created -> fetched (the farm's clock: poll interval and window); p50, p99, max,
    and p99 per 5 s of fetch time (a stage falling behind shows as a rising p99);
  CPU seconds of each process over the run and the machine's other load (/proc).

It prints a table per rate and writes --out (JSON). Without the millisecond columns
(fetched_at_ms, matched_at_ms, stored_at_ms: the intake branch of issue #16) it falls back to
the farm's first-served time and event_items.added_at (whole seconds) and says so.
Standard library only. Usage: bench/e2e/run.sh (builds nothing; see bench/e2e/README.md).
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import e2e_stats as st  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
import yq_procs  # noqa: E402
from yq_procs import free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def wait_until(what, pred, timeout_s, step=0.1):
    return yq_procs.wait_until(what, pred, timeout_s, step, RuntimeError)


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8", "replace")


def metrics(port):
    """{name: summed value} of a Prometheus text page (labels summed away)."""
    out = {}
    for line in http_get(f"http://127.0.0.1:{port}/metrics").splitlines():
        if not line or line[0] == "#":
            continue
        name_labels, _, value = line.rpartition(" ")
        name = name_labels.split("{", 1)[0]
        try:
            out[name] = out.get(name, 0.0) + float(value)
        except ValueError:
            pass
    return out


def cpu_seconds(pid):
    """utime + stime of a live process (seconds), None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except (OSError, IndexError, ValueError):
        return None


def tree_cpu_seconds(root_pid):
    """CPU seconds of a process and its children alive now (PostgreSQL: the postmaster and its
    backends; a backend that ended in between takes its share with it)."""
    total = cpu_seconds(root_pid) or 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root_pid:
            total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def machine_busy_seconds():
    """CPU seconds the whole machine spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / TICK


class Run(yq_procs.Procs):
    """One rate: its processes, configs and results, in its own folder."""

    def __init__(self, opt, rate, pg_url):
        super().__init__(os.path.join(opt.work, f"{opt.store}-{int(rate)}"))
        self.opt = opt
        self.rate = rate
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        self.pg_url = pg_url
        self.run_id = f"{int(time.time())}{int(rate)}"

    def bin(self, rel):
        return os.path.join(self.opt.build, rel)

    def path(self, name):
        return os.path.join(self.work, name)

    def check_alive(self):
        for name, p in self.procs.items():
            if p.poll() is not None:
                raise RuntimeError(f"{name} exited with {p.returncode}; see {self.path(name)}.log")

    def close(self):
        self.stop_all(timeout=10)

    def ctl(self, *args):
        out = subprocess.run([self.bin("tools/yuqingctl"), *args], capture_output=True,
                             text=True, timeout=120, cwd=self.work)
        if out.returncode != 0:
            raise RuntimeError(f"yuqingctl {' '.join(args[:2])} failed: {out.stderr[-2000:]}")
        return out.stdout

    # ---- set-up -------------------------------------------------------------------------
    def start_redis_kafka(self):
        """Start a private redis-server (no persistence, in the run's folder; self.redis_port)
        and librdkafka's mock cluster with --partitions partitions (self.bootstrap); waits until
        Redis answers PING (15 s) and raises RuntimeError when either fails."""
        self.redis_port = free_port()
        self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind",
                             "127.0.0.1", "--dir", self.work, "--save", "", "--appendonly",
                             "no"])
        wait_until("redis", lambda: subprocess.run(
            ["redis-cli", "-p", str(self.redis_port), "ping"], capture_output=True,
            text=True).stdout.strip() == "PONG", 15)
        self.bootstrap = self.start_kafka(self.bin("tools/yuqingctl"), self.opt.partitions,
                                          RuntimeError)

    def start(self):
        o = self.opt
        self.start_redis_kafka()
        self.ctl("rules", "push", os.path.join(o.source, "config/rules"), "--redis",
                 f"127.0.0.1:{self.redis_port}", "--by", "bench-e2e")

        # the farm first (t0 leaves time for the stages to start and poll every feed once)
        self.duration = o.duration
        self.t0 = time.time() + o.warmup
        ready = self.path("farm.port")
        self.spawn("farm", [sys.executable, os.path.join(HERE, "feed_farm.py"), "--rate",
                            str(self.rate), "--duration", str(o.duration), "--t0", str(self.t0),
                            "--feeds", str(o.feeds), "--hosts", str(o.hosts), "--window-s",
                            str(o.window), "--seed", str(o.seed), "--run-id", self.run_id,
                            "--ready", ready, "--out", self.path("farm.tsv"), "--stats",
                            self.path("farm-stats.json")])
        wait_until("feed farm", lambda: os.path.exists(ready), 15)
        with open(ready) as f:
            self.farm_port = int(f.read())

        # the store
        notifier_conf = self.write_notifier_conf()
        if o.store == "postgresql":
            self.store_set = ["--set", f"store.url={self.pg_url}"]
            self.ctl("store", "init", "--config", notifier_conf, *self.store_set)
        else:
            self.db = self.path("tickets.db")
            self.store_set = ["--set", f"store.path={self.db}"]
            self.ctl("store", "init", "--config", notifier_conf, "--db", self.db)

        self.http_port = free_port()
        self.matcher_port = free_port()
        self.collector_port = free_port()
        kafka = ["--set", f"kafka.bootstrap_servers={self.bootstrap}"]
        self.spawn("notifier", [self.bin("notifier/yuqing-notifier"), "--config",
                                notifier_conf, *kafka, *self.store_set,
                                "--set", f"http.port={self.http_port}", *o.notifier_set])
        self.spawn("matcher", [self.bin("pipeline/yuqing-matcher"), "--config",
                               os.path.join(o.source, "config/matcher.yaml"), *kafka,
                               "--set", f"redis.port={self.redis_port}",
                               "--set", f"matcher.rules_cache_path={self.path('rules.json')}",
                               "--set", f"matcher.metrics_port={self.matcher_port}",
                               *o.matcher_set])
        self.spawn("collector", [self.bin("collectors/yuqing-collector"), "--config",
                                 self.write_sources(), *o.collector_set])
        # up when /healthz answers; its status is recorded, not required (a PostgreSQL store
        # whose periodic pass fails reports "degraded" but takes alerts in)
        self.health = wait_until("notifier /healthz", self.notifier_health, 60)
        wait_until("matcher /metrics", lambda: metrics(self.matcher_port), 30)
        wait_until("collector /metrics", lambda: metrics(self.collector_port), 30)
        if time.time() > self.t0 - 1:
            raise RuntimeError(f"the stages took longer than --warmup {o.warmup}s to start")

    def notifier_health(self):
        url = f"http://127.0.0.1:{self.http_port}/healthz"
        try:
            body = http_get(url)
        except urllib.error.HTTPError as exc:  # 503 with the same JSON when not ok
            body = exc.read().decode("utf-8", "replace")
        return json.loads(body).get("status") or "unknown"

    def write_notifier_conf(self):
        with open(os.path.join(self.opt.source, "config/notifier.yaml"), encoding="utf-8") as f:
            conf = f.read()
        conf = conf.replace("calendar_dir: calendar",
                            f"calendar_dir: {self.opt.source}/config/calendar")
        conf = conf.replace("    port: 16379", f"    port: {self.redis_port}")
        path = self.path("notifier.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(conf)
        return path

    def write_sources(self):
        o = self.opt
        lines = [f"kafka:\n  bootstrap_servers: {self.bootstrap}\n",
                 f"redis:\n  host: 127.0.0.1\n  port: {self.redis_port}\n",
                 "collector:\n  metrics_address: 127.0.0.1\n",
                 f"  metrics_port: {self.collector_port}\n",
                 f"  spool_path: {self.path('collector-spool.jsonl')}\n", "sources:\n"]
        for f in range(o.feeds):
            host = f"127.0.1.{1 + f % o.hosts}"
            lines.append(f"  - id: farm-{f:03d}\n    kind: rss\n    name: 安康网络问政 {f:03d}\n"
                         f"    url: http://{host}:{self.farm_port}/feed/{f}.xml\n"
                         f"    interval: {o.interval}\n")
        path = self.path("sources.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(lines))
        return path

    # ---- the run ------------------------------------------------------------------------
    def stage_pids(self):
        return {n: p.pid for n, p in self.procs.items()}

    def cpu_snapshot(self):
        got = {n: cpu_seconds(pid) for n, pid in self.stage_pids().items()}
        if self.opt.pg_pid:
            got["postgresql"] = tree_cpu_seconds(self.opt.pg_pid)
        return got

    def stage_metrics(self):
        got = {}
        for stage, port, names in (
                ("collector", self.collector_port,
                 ("yuqing_collector_source_items_produced_total",
                  "yuqing_collector_requests_total")),
                ("matcher", self.matcher_port,
                 ("yuqing_matcher_items_total", "yuqing_matcher_alerts_total",
                  "yuqing_matcher_excluded_total")),
                ("notifier", self.http_port,
                 ("yuqing_notifier_alerts_consumed_total",
                  "yuqing_notifier_alerts_duplicate_total",
                  "yuqing_notifier_alerts_rejected_total",
                  "yuqing_notifier_tickets_created_total"))):
            try:
                m = metrics(port)
            except OSError:
                continue
            for n in names:
                if n in m:
                    got[n] = m[n]
        return got

    def run(self):
        o = self.opt
        total = int(round(self.rate * o.duration))
        while time.time() < self.t0:
            time.sleep(0.05)
        cpu0 = self.cpu_snapshot()
        perf = []
        for name in o.perf:  # where a stage's time goes: perf report -i WORK/perf-NAME.data
            perf.append(subprocess.Popen(
                ["perf", "record", "-q", "-F", "499", "-g", "-p", str(self.procs[name].pid),
                 "-o", self.path(f"perf-{name}.data")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        busy0, wall0 = machine_busy_seconds(), time.monotonic()
        end = self.t0 + o.duration
        progress = []
        while time.time() < end:
            time.sleep(min(5.0, max(0.05, end - time.time())))
            self.check_alive()
            m = self.stage_metrics()
            progress.append({"t_s": round(time.time() - self.t0, 1), **m})
            print(f"  {self.opt.store} {int(self.rate)}/s t={time.time() - self.t0:5.1f}s "
                  f"collected={m.get('yuqing_collector_source_items_produced_total', 0):.0f} "
                  f"alerts={m.get('yuqing_matcher_alerts_total', 0):.0f} "
                  f"stored={m.get('yuqing_notifier_alerts_consumed_total', 0):.0f}",
                  flush=True)
        for p in perf:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=60)
        # drain: until the notifier took every alert, nothing moved for --settle s, or the cap
        last, last_change = None, time.monotonic()
        drain_start = time.monotonic()
        drain_end = "cap"  # still moving at --drain-max: the missing include a backlog
        while time.monotonic() - drain_start < o.drain_max:
            self.check_alive()
            m = self.stage_metrics()
            state = tuple(sorted(m.items()))
            if state != last:
                last, last_change = state, time.monotonic()
            if m.get("yuqing_notifier_alerts_consumed_total", 0) >= total:
                drain_end = "complete"
                break
            if time.monotonic() - last_change >= o.settle:
                drain_end = "settled"  # nothing moved: the missing are lost
                break
            time.sleep(0.5)
        drain_s = time.monotonic() - drain_start
        cpu1 = self.cpu_snapshot()
        busy1, wall1 = machine_busy_seconds(), time.monotonic()
        final = self.stage_metrics()
        self.health_end = self.notifier_health()  # "down" at start is Kafka before a message
        if self.health_end != "ok":
            print(f"  warning: notifier /healthz {self.health_end!r} after the drain; see "
                  f"{self.path('notifier.log')}", flush=True)
        self.redis_commands = self.redis_commandstats()
        for name in ("collector", "matcher", "notifier", "farm"):
            rc = self.stop(name)
            if rc not in (0, None):
                print(f"  warning: {name} exited {rc} after SIGTERM", flush=True)
        cpu = {n: round(cpu1[n] - cpu0[n], 2) for n in cpu0
               if cpu0[n] is not None and cpu1.get(n) is not None}
        ours = sum(cpu.values())
        wall = wall1 - wall0
        self.drain_end = drain_end
        return self.results(total, final, progress, cpu, drain_s, {
            "wall_s": round(wall, 1), "machine_busy_cpu_s": round(busy1 - busy0, 1),
            "bench_cpu_s": round(ours, 1),
            "other_cpu_s": round(busy1 - busy0 - ours, 1),
            "cores": os.cpu_count(), "loadavg_end": open("/proc/loadavg").read().split()[:3]})

    def redis_commandstats(self):
        """Redis's own account of its time: {command: {calls, usec}}, the 8 costliest (which
        stage's Redis work dominates: the collector's seen ids or the matcher's event lookup)."""
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "INFO", "commandstats"],
                             capture_output=True, text=True, timeout=30).stdout
        stats = {}
        for line in out.splitlines():
            if not line.startswith("cmdstat_"):
                continue
            name, _, fields = line[8:].partition(":")
            kv = dict(f.split("=", 1) for f in fields.split(",") if "=" in f)
            try:
                stats[name] = {"calls": int(kv["calls"]), "usec": int(kv["usec"])}
            except (KeyError, ValueError):
                continue
        top = sorted(stats.items(), key=lambda x: -x[1]["usec"])[:8]
        return dict(top)

    # ---- results ------------------------------------------------------------------------
    def store_rows(self):
        """[(url, fetched_ms, matched_ms, stored_ms)] of every event and ticket item row;
        ms columns None when the store has none (then the coarse fallback is used)."""
        if self.opt.store == "postgresql":
            cols = self.psql("SELECT column_name FROM information_schema.columns WHERE "
                             "table_name = 'event_items'")
            has_ms = "stored_at_ms" in {c[0] for c in cols}
            sel = ("url, fetched_at_ms, matched_at_ms, stored_at_ms" if has_ms else
                   "url, NULL, NULL, added_at * 1000")
            rows = self.psql(f"SELECT {sel} FROM event_items UNION ALL "
                             f"SELECT {sel} FROM ticket_items")
            conv = [(r[0], *[float(x) if x not in ("", None) else None for x in r[1:]])
                    for r in rows]
            return conv, has_ms
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            cols = {r[1] for r in db.execute("PRAGMA table_info(event_items)")}
            has_ms = "stored_at_ms" in cols
            sel = ("url, fetched_at_ms, matched_at_ms, stored_at_ms" if has_ms else
                   "url, NULL, NULL, added_at * 1000")
            rows = db.execute(f"SELECT {sel} FROM event_items UNION ALL "
                              f"SELECT {sel} FROM ticket_items").fetchall()
        finally:
            db.close()
        return rows, has_ms

    def psql(self, sql):
        out = subprocess.run(["psql", "-X", "-At", "-F", "\t", self.pg_url, "-c", sql],
                             capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"psql failed: {out.stderr[-1000:]}")
        return [line.split("\t") for line in out.stdout.splitlines() if line]

    def results(self, total, final, progress, cpu, drain_s, machine):
        with open(self.path("farm.tsv")) as f:
            farm = st.parse_farm_tsv(f)
        rows, has_ms = self.store_rows()
        stored = {}  # entry -> (fetched, matched, stored): the first row (ticket or event)
        for url, fetched, matched, stored_ms in rows:
            k = st.entry_of_url(url or "")
            if k is None or k not in farm:
                continue
            prev = stored.get(k)
            if prev is None or (stored_ms or 0) < (prev[2] or 0):
                stored[k] = (fetched, matched, stored_ms)
        served = {k: v[1] for k, v in farm.items()}
        comp = st.completeness(served, stored)
        comp["collector_items"] = final.get("yuqing_collector_source_items_produced_total")
        comp["matcher_items"] = final.get("yuqing_matcher_items_total")
        comp["matcher_alerts"] = final.get("yuqing_matcher_alerts_total")
        comp["notifier_alerts"] = final.get("yuqing_notifier_alerts_consumed_total")
        comp["notifier_duplicates"] = final.get("yuqing_notifier_alerts_duplicate_total")
        comp["tickets_created"] = final.get("yuqing_notifier_tickets_created_total")
        e2e, match, intake, poll, points = [], [], [], [], []
        for k, (fetched, matched, stored_ms) in stored.items():
            created, first_served = farm[k]
            if first_served:
                poll.append(first_served - created)
            if has_ms and fetched is not None and stored_ms is not None:
                e2e.append(stored_ms - fetched)
                points.append((fetched, stored_ms - fetched))
                if matched is not None:
                    match.append(matched - fetched)
                    intake.append(stored_ms - matched)
            elif not has_ms and first_served and stored_ms is not None:
                # coarse: added_at is whole seconds; the farm's serve time stands for the fetch
                e2e.append(stored_ms - first_served)
                points.append((first_served, stored_ms - first_served))
        return {
            "store": self.opt.store, "rate": self.rate, "duration_s": self.opt.duration,
            "drain_s": round(drain_s, 1), "drain_end": self.drain_end, "feeds": self.opt.feeds,
            "hosts": self.opt.hosts,
            "interval": self.opt.interval, "partitions": self.opt.partitions,
            "notifier_health": {"start": self.health, "end": self.health_end},
            "timing": "ms columns" if has_ms else
            "coarse: farm first-served ms -> event_items.added_at (whole seconds)",
            "completeness": comp,
            "latency_ms": {"fetch_to_store": st.summary(e2e), "fetch_to_match": st.summary(match),
                           "match_to_store": st.summary(intake),
                           "created_to_fetch": st.summary(poll)},
            "fetch_to_store_p99_per_5s": st.windows(points, 5000),
            "cpu_s": cpu, "redis_commands": self.redis_commands, "machine": machine, "progress": progress,
            "farm": json.load(open(self.path("farm-stats.json")))
            if os.path.exists(self.path("farm-stats.json")) else None,
        }


def cpu_ms_per_item(r):
    """CPU milliseconds each process spent per item it handled over the run (production and
    drain): what the stage costs whatever else the machine runs; 1000 / x is the rate one
    core could carry for that stage alone."""
    c = r["completeness"]
    out = {}
    for name, cpu in r["cpu_s"].items():
        # the items the process handled: the notifier's are the stored ones, the rest saw
        # every fetched item (the farm: every served one)
        n = c["stored"] if name in ("notifier", "postgresql") else c["fetched"]
        if n:
            out[name] = round(1000.0 * cpu / n, 3)
    return out


def print_result(r):
    c, lat = r["completeness"], r["latency_ms"]
    print(f"\n== {r['store']} at {r['rate']:g} items/s for {r['duration_s']:g} s "
          f"(+{r['drain_s']} s drain, {r['drain_end']}; {r['feeds']} feeds, "
          f"poll {r['interval']}) ==")
    print(f"  timing: {r['timing']}")
    print("  completeness: produced {produced}  fetched {fetched}  stored {stored}  missing "
          "{missing} (never fetched {missing_never_fetched}, after fetch {missing_after_fetch})"
          .format(**c))
    print(f"  stage counters: collector items {c['collector_items']}  matcher items "
          f"{c['matcher_items']} alerts {c['matcher_alerts']}  notifier alerts "
          f"{c['notifier_alerts']} (duplicates {c['notifier_duplicates']}, tickets "
          f"{c['tickets_created']})")
    print(f"  {'latency (ms)':<28}{'n':>8}{'p50':>10}{'p99':>10}{'max':>10}")
    for name, label in (("fetch_to_store", "fetch -> stored (item->ticket)"),
                        ("fetch_to_match", "fetch -> matched"),
                        ("match_to_store", "matched -> stored"),
                        ("created_to_fetch", "created -> fetch (poll, excl.)")):
        s = lat[name]
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        print(f"  {label:<28}{s['n']:>8}{fmt(s['p50']):>10}{fmt(s['p99']):>10}"
              f"{fmt(s['max']):>10}")
    w = r["fetch_to_store_p99_per_5s"]
    if w:
        print("  p99 fetch->stored per 5 s: " + " ".join(
            f"{x['p99']:.0f}" if x["p99"] is not None else "-" for x in w))
        sd = st.steady(w)
        if sd["median"] is not None:
            print(f"  steady p99 fetch->stored (after the first 5 s): median {sd['median']:.0f}"
                  f"  range {sd['min']:.0f}-{sd['max']:.0f}")
    per_item = cpu_ms_per_item(r)
    if per_item:
        print("  CPU ms per item (one core carries 1000/x items/s): " + "  ".join(
            f"{n} {v:.3f}" for n, v in per_item.items()))
    if r.get("redis_commands"):
        print("  Redis time by command (s): " + "  ".join(
            f"{c} {v['usec'] / 1e6:.1f} ({v['calls']} calls)"
            for c, v in list(r["redis_commands"].items())[:5]))
    print(f"  CPU s: {r['cpu_s']}  machine busy {r['machine']['machine_busy_cpu_s']} s of "
          f"{r['machine']['wall_s']} s x {r['machine']['cores']} cores (other processes "
          f"{r['machine']['other_cpu_s']} s)")


def print_compare(old_files, new_files):
    """Old vs new (bench/e2e/README.md, "Old against new"): per rate, the median over the
    runs of each build of every figure of e2e_stats.figures(), and new / old."""
    def load(files):
        by_rate = {}
        for name in files:
            with open(name) as f:
                for r in json.load(f)["runs"]:
                    by_rate.setdefault((r["store"], r["rate"]), []).append(r)
        return by_rate

    old, new = load(old_files), load(new_files)
    for key in sorted(set(old) & set(new)):
        print(f"\n== {key[0]} at {key[1]:g} items/s: old {len(old[key])} runs, new "
              f"{len(new[key])} runs (medians) ==")
        print(f"  {'figure':<34}{'old':>10}{'new':>10}{'new/old':>9}")
        for name, a, b, ratio in st.compare(old[key], new[key]):
            fmt = lambda v: "-" if v is None else f"{v:.3g}" if v < 10 else f"{v:.0f}"  # noqa
            print(f"  {name:<34}{fmt(a):>10}{fmt(b):>10}"
                  f"{'-' if ratio is None else f'{ratio:.2f}':>9}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", help="build folder (RelWithDebInfo, no sanitizers); required")
    ap.add_argument("--source", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--rates", default="100,1000,5000", help="items/s, comma-separated")
    ap.add_argument("--duration", type=float, default=30.0, help="seconds of production")
    ap.add_argument("--drain-max", type=float, default=120.0)
    ap.add_argument("--settle", type=float, default=10.0,
                    help="drain ends when no counter moved for this long")
    ap.add_argument("--warmup", type=float, default=20.0, help="seconds before entry 0")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--interval", default="1s", help="each feed's poll interval (>= 1s)")
    ap.add_argument("--window", type=float, default=10.0,
                    help="a feed holds about this many seconds of its entries")
    ap.add_argument("--partitions", type=int, default=16,
                    help="per topic (the mock cluster keeps ~5 MB per partition)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--work", default="/tmp/yuqing-bench-e2e")
    ap.add_argument("--out", default="bench-e2e.json")
    ap.add_argument("--perf", action="append", default=[],
                    choices=("notifier", "matcher", "collector", "redis", "farm"),
                    help="perf record -g this process during production (repeatable)")
    for stage in ("notifier", "matcher", "collector"):
        ap.add_argument(f"--{stage}-set", action="append", default=[], metavar="KEY=VALUE",
                        help=f"extra --set for yuqing-{stage} (repeatable)")
    ap.add_argument("--report", metavar="JSON",
                    help="print the tables of an earlier run's JSON and exit")
    ap.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"),
                    help="comma-separated result JSONs of two builds (several interleaved "
                         "runs each): per rate the medians of each figure and new/old; exit")
    opt = ap.parse_args()
    if opt.compare:
        print_compare(opt.compare[0].split(","), opt.compare[1].split(","))
        return 0
    if opt.report:
        with open(opt.report) as f:
            for r in json.load(f)["runs"]:
                print_result(r)
        return 0
    if not opt.build:
        ap.error("--build is required")
    opt.build = os.path.abspath(opt.build)
    opt.source = os.path.abspath(opt.source)
    for stage in ("notifier", "matcher", "collector"):
        sets = []
        for kv in getattr(opt, f"{stage}_set"):
            sets += ["--set", kv]
        setattr(opt, f"{stage}_set", sets)
    rates = [float(r) for r in opt.rates.split(",") if r.strip()]
    for tool in ("redis-server", "redis-cli") + (("psql",) if opt.store == "postgresql" else ()):
        if not shutil.which(tool):
            print(f"bench/e2e: {tool} is not installed (scripts/install-deps.sh)", file=sys.stderr)
            return 2
    os.makedirs(opt.work, exist_ok=True)
    pg_dir = os.path.join(opt.work, "pg")
    opt.pg_pid = None
    base_url = None
    if opt.store == "postgresql":
        out = subprocess.run([os.path.join(opt.source, "scripts/pg-dev.sh"), "start", pg_dir,
                              str(free_port())], capture_output=True, text=True, timeout=180)
        if out.returncode != 0:
            print(f"bench/e2e: PostgreSQL did not start: {out.stderr}", file=sys.stderr)
            return 1
        base_url = out.stdout.strip().splitlines()[-1]
        with open(os.path.join(pg_dir, "data", "postmaster.pid")) as f:
            opt.pg_pid = int(f.readline())
    results = []
    try:
        for rate in rates:
            pg_url = None
            if base_url:
                name = f"e2e_{int(rate)}_{int(time.time())}"
                subprocess.run(["psql", "-X", "-q", base_url, "-c", f"CREATE DATABASE {name}"],
                               check=True, capture_output=True, timeout=60)
                pg_url = base_url.rsplit("/", 1)[0] + "/" + name
            run = Run(opt, rate, pg_url)
            try:
                print(f"bench/e2e: {opt.store} at {rate:g} items/s in {run.work}", flush=True)
                run.start()
                r = run.run()
            finally:
                run.close()
            print_result(r)
            results.append(r)
            with open(opt.out, "w") as f:
                json.dump({"machine": {"cores": os.cpu_count(), "uname": os.uname().release},
                           "runs": results}, f, indent=1, ensure_ascii=False)
    finally:
        if base_url:
            subprocess.run([os.path.join(opt.source, "scripts/pg-dev.sh"), "stop", pg_dir],
                           capture_output=True, timeout=120)
    print(f"\nbench/e2e: results in {opt.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
