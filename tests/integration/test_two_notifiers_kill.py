#!/usr/bin/env python3
"""Two notifiers, one PostgreSQL store, one killed mid-stream (issue #16).

Starts (with the ctest fixture "pg" already running a private PostgreSQL; skipped, exit 77,
without it) a fresh schema as the ticket store (yuqingctl store init --db URL), the mock Kafka
cluster with 4 partitions (yuqingctl kafka-dev), a webhook sink that records every
notification with its Idempotency-Key, and two yuqing-notifier processes with the same
kafka.group_id and store.url. It waits until exactly one of them leads (/metrics
yuqing_notifier_leader), streams N_ALERTS level II alerts (each opens a ticket at once and
notifies its department's webhook), kills the leader with SIGKILL while they flow, and then
checks:
  - every alert's ticket exists exactly once (tickets, items, event keys), and each ticket's
    log entries once (no (ticket, action) twice);
  - every outbox row was delivered, and the sink saw each idempotency key at least once; keys
    seen twice are counted and reported, and must be among the rows the killed notifier had
    claimed at the kill (in flight): none other is sent twice;
  - the survivor took over leadership (yuqing_notifier_leader 1) and the partitions (it
    consumed alerts after the kill and every alert has its ticket).
Waits poll for state with hang guards only; nothing asserts a duration.
"""
import collections
import datetime
import http.server
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import yq_procs
from yq_procs import free_port, iso

N_ALERTS = 300
WAVE2 = 40  # alerts produced after the kill: the survivor alone takes them in
TOTAL = N_ALERTS + WAVE2
HANG_GUARD_S = 180  # a hang guard only, never a performance bound
DEPTS = {"市自然资源局": "zrzy-hook", "市生态环境局": "sthj-hook", "市应急管理局": "yjgl-hook"}


def wait_until(what, predicate, timeout_s=HANG_GUARD_S):
    return yq_procs.wait_until(what, predicate, timeout_s)


NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def alert(i):
    dept = list(DEPTS)[i % len(DEPTS)]
    item = {"schema": 1, "id": f"rss:kill-{i:04d}", "source": "rss", "source_id": "ankang-gov",
            "channel": "安康市人民政府", "url": f"https://www.ankang.gov.cn/kill/{i}.html",
            "title": f"安康市一小区停水三天 居民反映（{i}）", "text": "群众留言反映的问题。",
            "author": "", "published_at": iso(NOW), "fetched_at": iso(NOW)}
    return {"schema": 1, "event_key": f"ev-kill-{i}",
            "event": {"new": True, "items": 1, "via": "new"},
            "rules_version": 1, "matched_at": iso(NOW), "score": 1.0, "level": "II",
            "department": dept,
            "matches": [{"rule_id": "t-water", "name": "停水", "group": "kill", "department": dept,
                         "level": "II", "terms": []}],
            "item": item}


class Sink(yq_procs.WebhookHandler):
    """The departments' webhooks: counts each Idempotency-Key."""
    seen = collections.Counter()
    lock = threading.Lock()

    def record(self, body):
        key = self.headers.get("Idempotency-Key", "")
        time.sleep(0.005)  # a little time in flight, as a real robot takes
        with Sink.lock:
            Sink.seen[key] += 1


class Harness(yq_procs.Procs):
    def __init__(self, build, src, work, pg_url):
        super().__init__(work)
        self.build, self.src = build, src
        self.schema = f"kill_{os.getpid()}"
        self.base_url = pg_url
        sep = "&" if "?" in pg_url else "?"
        self.store = f"{pg_url}{sep}options=-csearch_path%3D{self.schema}"

    def bin(self, rel):
        return os.path.join(self.build, rel)

    def sql(self, query, url=None):
        out = subprocess.run(["psql", url or self.store, "-XAtq", "-v", "ON_ERROR_STOP=1",
                              "-c", query], capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return [line.split("|") for line in out.stdout.splitlines() if line]

    def one(self, query):
        return int(self.sql(query)[0][0])

    def write_config(self, hook_port):
        with open(os.path.join(self.src, "config/notifier.yaml"), encoding="utf-8") as f:
            conf = f.read()
        for line in ("channels: {}\n", "duty_officer: []\n", "administrator: []\n",
                     "departments: {}\n"):
            assert line in conf, f"config/notifier.yaml changed: no {line!r}"
            conf = conf.replace(line, "")
        conf = conf.replace("calendar_dir: calendar", f"calendar_dir: {self.src}/config/calendar")
        hook = f"http://127.0.0.1:{hook_port}"
        routes = "channels:\n"
        routes += "".join(f"  {ch}: {{type: webhook, url: \"{hook}/{d}\"}}\n"
                          for d, ch in DEPTS.items())
        routes += "duty_officer: []\nadministrator: []\ndepartments:\n"
        routes += "".join(f"  {d}: {{liaison: [{ch}]}}\n" for d, ch in DEPTS.items())
        self.conf = os.path.join(self.work, "notifier.yaml")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(conf + routes)

    def start_notifier(self, name):
        port = free_port()
        p = self.spawn(name, [
            self.bin("notifier/yuqing-notifier"), "--config", self.conf,
            "--set", f"kafka.bootstrap_servers={self.bootstrap}",
            "--set", "kafka.session_timeout_ms=3000",
            "--set", f"store.url={self.store}",
            "--set", f"http.port={port}",
            "--set", "web.sources_enabled=false", "--set", "web.rules_enabled=false",
            "--set", "notify.poll_interval_ms=100", "--set", "notify.batch=20",
            "--set", "notify.claim_lease_ms=3000", "--set", "briefing.enabled=false"])
        p.port = port
        return p

    def metric(self, name, key):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.procs[name].port}/metrics",
                                    timeout=5) as r:
            for line in r.read().decode("utf-8").splitlines():
                if line.startswith(key + " "):
                    return int(float(line.split()[1]))
        raise KeyError(key)


def run(h):
    sink = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    try:
        run_with_sink(h, sink.server_address[1])
    finally:
        sink.shutdown()


def run_with_sink(h, hook_port):
    h.sql(f"CREATE SCHEMA {h.schema}", url=h.base_url)
    out = subprocess.run([h.bin("tools/yuqingctl"), "store", "init", "--config",
                          os.path.join(h.src, "config/notifier.yaml"), "--db", h.store],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert h.password_free(out.stdout + out.stderr)
    h.bootstrap = h.start_kafka(h.bin("tools/yuqingctl"), 4)
    h.write_config(hook_port)
    names = ("notifier1", "notifier2")
    for name in names:
        h.start_notifier(name)

    def leaders():
        roles = {n: h.metric(n, "yuqing_notifier_leader") for n in names}
        return roles if sum(roles.values()) == 1 else None
    roles = wait_until("exactly one leader", leaders)
    victim = next(n for n, r in roles.items() if r == 1)  # kill the leader: it must move
    survivor = next(n for n in names if n != victim)
    victim_pid = h.procs[victim].pid

    # stream the alerts while the notifiers take them in
    producer = subprocess.Popen([h.bin("tests/integration/yq_test_produce"), h.bootstrap],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def feed():
        for start in range(0, N_ALERTS, 10):
            chunk = "".join("yuqing.alerts\t" + json.dumps(alert(i), ensure_ascii=False) + "\n"
                            for i in range(start, min(start + 10, N_ALERTS)))
            producer.stdin.write(chunk.encode("utf-8"))
            producer.stdin.flush()
            time.sleep(0.05)
        producer.stdin.close()
    feeder = threading.Thread(target=feed)
    feeder.start()
    # both must have had work (the group spread the partitions) before the kill
    wait_until("both notifiers taking alerts in",
               lambda: all(h.metric(n, "yuqing_notifier_alerts_consumed_total") > 0
                           for n in names))
    wait_until("a quarter of the tickets", lambda: h.one("SELECT count(*) FROM tickets") >=
               N_ALERTS // 4)
    h.procs[victim].send_signal(signal.SIGKILL)
    h.procs[victim].wait(timeout=30)
    tickets_at_kill = h.one("SELECT count(*) FROM tickets")
    in_flight = {r[0] for r in h.sql(
        "SELECT idem_key FROM outbox WHERE state = 'pending' "
        f"AND claimed_by LIKE '%:{victim_pid}:%'")}
    consumed_at_kill = h.metric(survivor, "yuqing_notifier_alerts_consumed_total")
    feeder.join()
    assert producer.wait(timeout=HANG_GUARD_S) == 0, producer.stderr.read()
    # a second wave after the kill: only the survivor is left to take it in, from every
    # partition (40 keys leave a partition out with odds of 4 * 0.75^40, about 4e-5)
    producer = subprocess.Popen([h.bin("tests/integration/yq_test_produce"), h.bootstrap],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    producer.stdin.write("".join("yuqing.alerts\t" + json.dumps(alert(i), ensure_ascii=False) +
                                 "\n" for i in range(N_ALERTS, TOTAL)).encode("utf-8"))
    producer.stdin.close()
    assert producer.wait(timeout=HANG_GUARD_S) == 0, producer.stderr.read()

    wait_until(f"{TOTAL} tickets", lambda: h.one("SELECT count(*) FROM tickets") == TOTAL)
    wait_until("every notification delivered",
               lambda: h.one("SELECT count(*) FROM outbox WHERE state <> 'delivered'") == 0 and
               h.one("SELECT count(*) FROM outbox") >= TOTAL)
    wait_until("the survivor leads", lambda: h.metric(survivor, "yuqing_notifier_leader") == 1)

    # every alert's ticket exactly once
    assert h.one("SELECT count(DISTINCT event_key) FROM tickets") == TOTAL
    assert h.one("SELECT count(*) FROM ticket_items") == TOTAL
    assert h.one("SELECT count(DISTINCT item_id) FROM ticket_items") == TOTAL
    expected_keys = {f"ev-kill-{i}" for i in range(TOTAL)}
    assert {r[0] for r in h.sql("SELECT event_key FROM tickets")} == expected_keys
    # each ticket's log entries once
    twice = h.sql("SELECT ticket_id, action, count(*) FROM ticket_log "
                  "GROUP BY ticket_id, action HAVING count(*) > 1")
    assert not twice, f"log entries written twice: {twice[:5]}"
    assert h.one("SELECT count(DISTINCT ticket_id) FROM ticket_log") == TOTAL
    # each notification delivered at least once; repeats only for rows in flight at the kill
    rows = {r[0] for r in h.sql("SELECT idem_key FROM outbox")}
    assert len(rows) == h.one("SELECT count(*) FROM tickets") , (len(rows), TOTAL)
    with Sink.lock:
        seen = dict(Sink.seen)
    missing = rows - set(seen)
    assert not missing, f"never delivered: {sorted(missing)[:5]}"
    unknown = set(seen) - rows
    assert not unknown, f"sent but not in the outbox: {sorted(unknown)[:5]}"
    dups = {k: n for k, n in seen.items() if n > 1}
    stray = set(dups) - in_flight
    assert not stray, f"sent twice though not in flight at the kill: {sorted(stray)[:5]}"
    # the survivor took over the partitions (it consumed what the victim left) and leads
    assert (h.metric(survivor, "yuqing_notifier_alerts_consumed_total") >=
            consumed_at_kill + WAVE2)
    duplicates = h.metric(survivor, "yuqing_notifier_alerts_duplicate_total")
    # the web UI runs on both (its live streams fed by the change feed's LISTEN)
    assert "change feed down" not in h.log(survivor), h.log(survivor)[-2000:]
    p = h.procs.pop(survivor)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 0, h.log(survivor)[-2000:]
    print(f"ok: {TOTAL} alerts, killed the leader at {tickets_at_kill} tickets; every ticket, "
          f"log entry and notification exactly once; {len(in_flight)} rows in flight at the "
          f"kill, {len(dups)} notification(s) sent twice (all in flight), {duplicates} "
          f"redelivered alert(s) recognised by the survivor")


def main():
    build, src = yq_procs.build_and_source_dirs()
    pg_file = os.environ.get("YQ_TEST_PG_FILE", "")
    if not pg_file or not os.path.exists(pg_file) or not shutil.which("psql"):
        print("skipped: no PostgreSQL test server (ctest fixture pg) or no psql")
        return 77
    with open(pg_file) as f:
        pg_url = f.read().strip()

    def make(work):
        h = Harness(build, src, work, pg_url)
        h.password_free = lambda text: ":" not in pg_url.split("@")[0].split("//")[-1] or \
            pg_url.split("@")[0].split(":")[-1] not in text
        return h

    def drop_schema(h):
        h.sql(f"DROP SCHEMA IF EXISTS {h.schema} CASCADE", url=pg_url)

    return yq_procs.run_in_work("yq-two-notifiers-", make, run, cleanup=drop_schema)


if __name__ == "__main__":
    sys.exit(main())
