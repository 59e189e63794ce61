#!/usr/bin/env python3
"""End-to-end test of the main job (issue #2).

Starts a real redis-server, librdkafka's mock cluster (yuqingctl kafka-dev) and an HTTP
server with the fixture feeds, all on free loopback ports; pushes the fixture rules; runs
yuqing-notifier, yuqing-matcher and yuqing-collector; and asserts the exact events and
tickets. Issue #13 (the 研判 inbox): the level III alerts wait in the inbox as pending events
with no ticket and no notification at the webhook, the level II alert is handed over at once
(ticket, notification, event auto_assigned); handing a III event over with `yuqingctl events
assign` opens its ticket and notifies its department. Then it lets the collector poll again,
restarts every process, and asserts that no event, ticket, item or alert was duplicated, and
that a feed entry published after the restart still becomes an event (so "no duplicates" is
not just "nothing runs").
"""
import collections
import functools
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

import yq_procs
from yq_procs import free_port

LAND_TITLE = "岚皋县征地补偿款被截留？村民联名反映"
BLAST_TITLE = "白河县一化工厂发生爆炸 周边居民紧急疏散"
ECO_TITLE = "镇坪县一养殖场被指向河道偷排污水"
# the events in the 研判 inbox: title -> (level, state)
EVENTS = {
    LAND_TITLE: ("III", "pending"),
    BLAST_TITLE: ("II", "auto_assigned"),  # desk.auto_assign_levels [I, II]: at once
    ECO_TITLE: ("III", "pending"),
}
# the tickets before any 研判: title -> (rule ids, department, level)
EXPECTED = {
    BLAST_TITLE: (["t-blast"], "市应急管理局", "II"),
}
LAND_TICKET = (["t-land"], "市自然资源局", "III")
LATE_TITLE = "宁陕县拆迁安置房漏水 住户盼尽快维修"
LATE_ITEM = """    <item>
      <title>{title}</title>
      <link>http://city.test.example/a/1005.html</link>
      <guid>city-1005</guid>
      <pubDate>Sun, 29 Nov 2026 11:00:00 +0800</pubDate>
      <description>宁陕县拆迁安置小区多户住户反映房屋漏水。</description>
    </item>
  </channel>""".format(title=LATE_TITLE)


def wait_until(what, predicate, timeout_s):
    return yq_procs.wait_until(what, predicate, timeout_s, 0.25)


class HookHandler(yq_procs.WebhookHandler):
    """The departments' and duty officer's webhook: records every notification (path, JSON)."""
    posts = []
    lock = threading.Lock()

    def record(self, body):
        with HookHandler.lock:
            HookHandler.posts.append((urllib.parse.unquote(self.path),
                                      json.loads(body.decode("utf-8"))))


def hook_posts():
    with HookHandler.lock:
        return list(HookHandler.posts)


def posts_about(text):
    """The notifications whose subject or text mention text."""
    return [(path, m) for path, m in hook_posts()
            if text in m.get("subject", "") or text in m.get("text", "")]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the fixture feeds and counts the requests for each path (the collector's polls)."""
    fetches = collections.Counter()
    lock = threading.Lock()

    def do_GET(self):
        with QuietHandler.lock:
            QuietHandler.fetches[self.path.split("?")[0]] += 1
        super().do_GET()

    def log_message(self, fmt, *args):
        pass


FEEDS = ("/city-news.xml", "/county-news.atom")


def polls():
    with QuietHandler.lock:
        return {p: QuietHandler.fetches[p] for p in FEEDS}


def wait_polls(what, n):
    """Wait until the collector fetched every feed n more times: the event the checks after
    it need, instead of a sleep (issue #10: a loaded machine polls less in the same seconds).
    120 s is a hang guard only."""
    before = polls()
    wait_until(what, lambda: all(polls()[p] >= before[p] + n for p in FEEDS), 120)


class Harness(yq_procs.Procs):
    def __init__(self, build_dir, source_dir, work):
        super().__init__(work)
        self.build = build_dir
        self.src = source_dir
        self.redis_port = free_port()
        self.http_port = free_port()
        self.feed_dir = os.path.join(work, "feeds")
        # issue #11: an item published more than 72 h before its fetch opens no ticket; the
        # fixture dates are moved (whole hours, same spacing) to just before now
        sys.path.insert(0, os.path.join(source_dir, "deploy/demo"))
        import shift_feed_dates
        self.shift_text = shift_feed_dates.shift_text
        self.shift_hours = shift_feed_dates.copy_shifted(
            os.path.join(source_dir, "tests/integration/fixtures/feeds"), self.feed_dir)

    def bin(self, rel):
        return os.path.join(self.build, rel)

    def stop(self, name, expect_zero=True):
        p = self.procs.pop(name)
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError(f"{name} did not stop within 60 s of SIGTERM")
        if expect_zero and rc != 0:
            raise AssertionError(f"{name} exited {rc} after SIGTERM; log:\n{self.tail(name)}")


    def start_infra(self):
        self.spawn("redis", ["redis-server", "--port", str(self.redis_port), "--bind",
                             "127.0.0.1", "--dir", self.work, "--save", "",
                             "--appendonly", "no"])
        wait_until("redis", self.redis_ping, 15)
        self.bootstrap = self.start_kafka(self.bin("tools/yuqingctl"), 3)
        handler = functools.partial(QuietHandler, directory=self.feed_dir)
        self.feed_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.feed_port = self.feed_server.server_address[1]
        threading.Thread(target=self.feed_server.serve_forever, daemon=True).start()
        self.hook_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HookHandler)
        self.hook_port = self.hook_server.server_address[1]
        threading.Thread(target=self.hook_server.serve_forever, daemon=True).start()

    def redis_ping(self):
        with socket.create_connection(("127.0.0.1", self.redis_port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")

    def redis(self, *args):
        out = subprocess.run(["redis-cli", "-p", str(self.redis_port), "--raw", *args],
                             check=True, capture_output=True, text=True)
        return out.stdout

    def write_configs(self):
        self.sources = os.path.join(self.work, "sources.yaml")
        base = f"http://127.0.0.1:{self.feed_port}"
        with open(self.sources, "w") as f:
            f.write(f"""kafka:
  bootstrap_servers: {self.bootstrap}
redis:
  host: 127.0.0.1
  port: {self.redis_port}
collector:
  metrics_port: 0
sources:
  - id: city-news
    kind: rss
    name: 安康城市新闻
    url: {base}/city-news.xml
    interval: 1s
  - id: county-news
    kind: rss
    name: 镇坪县融媒体中心
    url: {base}/county-news.atom
    interval: 1s
""")

        # the shipped notifier.yaml with channels: every department and the duty officer have
        # a webhook here, so the test sees who is told (and who is not)
        with open(os.path.join(self.src, "config/notifier.yaml"), encoding="utf-8") as f:
            conf = f.read()
        hook = f"http://127.0.0.1:{self.hook_port}"
        routes = f"""channels:
  duty-hook: {{type: webhook, url: "{hook}/值班室"}}
  zrzy-hook: {{type: webhook, url: "{hook}/市自然资源局"}}
  sthj-hook: {{type: webhook, url: "{hook}/市生态环境局"}}
  yjgl-hook: {{type: webhook, url: "{hook}/市应急管理局"}}
duty_officer: [duty-hook]
administrator: []
departments:
  市自然资源局: {{liaison: [zrzy-hook]}}
  市生态环境局: {{liaison: [sthj-hook]}}
  市应急管理局: {{liaison: [yjgl-hook]}}
"""
        for line in ("channels: {}\n", "duty_officer: []\n", "administrator: []\n",
                     "departments: {}\n"):
            assert line in conf, f"config/notifier.yaml changed: no {line!r}"
            conf = conf.replace(line, "")
        conf = conf.replace("calendar_dir: calendar",
                            f"calendar_dir: {self.src}/config/calendar")
        self.notifier_conf = os.path.join(self.work, "notifier.yaml")
        with open(self.notifier_conf, "w", encoding="utf-8") as f:
            f.write(conf + routes)

    def push_rules(self):
        out = subprocess.run([self.bin("tools/yuqingctl"), "rules", "push",
                              os.path.join(self.src, "tests/integration/fixtures/rules"),
                              "--redis", f"127.0.0.1:{self.redis_port}", "--by", "it"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "已推送规则集第 1 版" in out.stdout, out.stdout

    def start_stages(self):
        common = ["--set", f"kafka.bootstrap_servers={self.bootstrap}"]
        # the notifier never creates its store (issue #10); init is idempotent
        out = subprocess.run([self.bin("tools/yuqingctl"), "store", "init", "--config",
                              os.path.join(self.src, "config/notifier.yaml"),
                              "--db", f"{self.work}/tickets.db"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        self.spawn("notifier", [self.bin("notifier/yuqing-notifier"), "--config",
                                self.notifier_conf, *common,
                                "--set", f"store.path={self.work}/tickets.db",
                                "--set", f"http.port={self.http_port}"])
        self.spawn("matcher", [self.bin("pipeline/yuqing-matcher"), "--config",
                               os.path.join(self.src, "config/matcher.yaml"), *common,
                               "--set", f"redis.port={self.redis_port}",
                               "--set", f"matcher.rules_cache_path={self.work}/rules.json",
                               "--set", "matcher.metrics_port=0"])
        self.spawn("collector", [self.bin("collectors/yuqing-collector"), "--config",
                                 self.sources])
        wait_until("notifier http",
                   lambda: json.loads(self.get("/healthz"))["status"] == "ok", 30)

    def stop_stages(self):
        for name in ("collector", "matcher", "notifier"):
            self.stop(name)

    def get(self, path, token=None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read().decode("utf-8").strip()

    def make_token(self):
        """An admin user and API token for the ticket API (machine clients use tokens)."""
        ctl = self.bin("tools/yuqingctl")
        db = ["--config", os.path.join(self.src, "config/notifier.yaml"),
              "--db", f"{self.work}/tickets.db"]
        pw = os.path.join(self.work, "admin.pw")
        with open(pw, "w") as f:
            f.write("integration-test-password\n")
        out = subprocess.run([ctl, "users", "add", "--username", "it-admin", "--role", "admin",
                              "--password-file", pw, *db], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        out = subprocess.run([ctl, "users", "token", "--username", "it-admin", "--name", "it",
                              *db], capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr
        self.token = out.stdout.strip().splitlines()[-1]
        assert self.token.startswith("yqt_"), out.stdout

    def tickets(self):
        return json.loads(self.get("/api/tickets", token=self.token))["tickets"]

    def events_cli(self, *args):
        out = subprocess.run([self.bin("tools/yuqingctl"), "events", *args, "--config",
                              self.notifier_conf, "--db", f"{self.work}/tickets.db"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        return out.stdout

    def events(self):
        """Every event of the 研判 inbox (yuqingctl events list --state all --json)."""
        return json.loads(self.events_cli("list", "--state", "all", "--json"))

    def status(self, path):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}{path}", timeout=5) as r:
                return r.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def dump(self, topic):
        # kafka-dump reads each partition up to its high watermark at the start, then stops:
        # decided by offsets, not by a quiet period (issue #10); --timeout-ms is a hang guard
        out = subprocess.run([self.bin("tools/yuqingctl"), "kafka-dump", "--bootstrap",
                              self.bootstrap, "--topic", topic, "--timeout-ms", "110000"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return [line.split(" ")[2] for line in out.stdout.splitlines() if line]

    def close(self):
        for name in list(self.procs):
            try:
                self.procs[name].kill()
                self.procs[name].wait(timeout=10)
            except Exception:
                pass
        if hasattr(self, "feed_server"):
            self.feed_server.shutdown()
        if hasattr(self, "hook_server"):
            self.hook_server.shutdown()


def check_tickets(tickets, expected):
    by_title = {t["title"]: t for t in tickets}
    assert len(tickets) == len(expected), \
        f"want {len(expected)} tickets, got {sorted(by_title)}"
    for title, (rules, dept, level) in expected.items():
        assert title in by_title, f"missing ticket {title!r}; have {sorted(by_title)}"
        t = by_title[title]
        assert sorted(t["rules"]) == rules, (title, t["rules"])
        assert t["department"] == dept, (title, t["department"])
        assert t["level"] == level, (title, t["level"])
        assert t["item_count"] == 1, (title, t["item_count"])
        assert t["number"].startswith("YQ-"), t["number"]
    numbers = [t["number"] for t in tickets]
    assert len(set(numbers)) == len(numbers), numbers


def check_events(events, expected):
    by_title = {e["title"]: e for e in events}
    assert len(events) == len(expected), f"want {len(expected)} events, got {sorted(by_title)}"
    for title, (level, state) in expected.items():
        assert title in by_title, f"missing event {title!r}; have {sorted(by_title)}"
        assert by_title[title]["level"] == level, (title, by_title[title]["level"])
        assert by_title[title]["state"] == state, (title, by_title[title]["state"])
        assert by_title[title]["item_count"] == 1, (title, by_title[title]["item_count"])


def assert_unique(keys, what):
    dup = [k for k, n in collections.Counter(keys).items() if n > 1]
    assert not dup, f"duplicated {what}: {dup}"


def main():
    build, src = yq_procs.build_and_source_dirs()
    for tool in ("redis-server", "redis-cli"):
        if not shutil.which(tool):
            print(f"SKIP: {tool} is not installed (scripts/install-deps.sh installs it)")
            return 77
    work = tempfile.mkdtemp(prefix="yuqing-it-")
    h = Harness(build, src, work)
    ok = False
    try:
        h.start_infra()
        h.write_configs()
        h.push_rules()
        h.start_stages()
        h.make_token()

        # 1. the exact events from the fixture feeds: the II alert is handed over at once, the
        #    III alerts wait for 研判; the API needs a login or a token
        assert h.status("/api/tickets") == 401, "ticket API answered without credentials"
        wait_until("3 events", lambda: len(h.events()) >= 3, 180)
        check_events(h.events(), EVENTS)
        check_tickets(h.tickets(), EXPECTED)
        assert "值班台" in h.get("/"), "queue page not served"
        blast = {t["title"]: t for t in h.tickets()}[BLAST_TITLE]
        wait_until("the II ticket's notification",
                   lambda: any(p == "/市应急管理局" and m["kind"] == "created"
                               for p, m in posts_about(blast["number"])), 60)

        # 2. more polls change nothing; the III events notified nobody
        wait_polls("3 more polls of each feed", 3)
        check_events(h.events(), EVENTS)
        check_tickets(h.tickets(), EXPECTED)
        assert not posts_about(LAND_TITLE), posts_about(LAND_TITLE)
        assert not posts_about(ECO_TITLE), posts_about(ECO_TITLE)

        # 3. the duty officer hands the land event over (交办): its ticket opens and its
        #    department is told
        land = {e["title"]: e for e in h.events()}[LAND_TITLE]
        out = h.events_cli("assign", str(land["id"]), "--lead", "市自然资源局", "--opinion",
                           "属实，涉及征地补偿，请核查回应", "--by", "it-duty")
        assert "已交办" in out, out
        expected = dict(EXPECTED)
        expected[LAND_TITLE] = LAND_TICKET
        wait_until("the land ticket", lambda: len(h.tickets()) >= 2, 60)
        check_tickets(h.tickets(), expected)
        land_ticket = {t["title"]: t for t in h.tickets()}[LAND_TITLE]
        wait_until("the land ticket's notification",
                   lambda: any(p == "/市自然资源局" and m["kind"] == "created"
                               for p, m in posts_about(land_ticket["number"])), 60)
        events = dict(EVENTS)
        events[LAND_TITLE] = ("III", "assigned")
        check_events(h.events(), events)
        assert not posts_about(ECO_TITLE), posts_about(ECO_TITLE)

        # 4. restart every process; still nothing duplicated
        h.stop_stages()
        h.start_stages()
        wait_polls("3 polls of each feed after the restart", 3)
        check_events(h.events(), events)
        check_tickets(h.tickets(), expected)

        # 5. a new entry after the restart flows through to a new event (III: it waits)
        path = os.path.join(h.feed_dir, "city-news.xml")
        with open(path, encoding="utf-8") as f:
            body = f.read()
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(body.replace("  </channel>", h.shift_text(LATE_ITEM, h.shift_hours), 1))
        os.replace(path + ".tmp", path)
        events[LATE_TITLE] = ("III", "pending")
        wait_until("4th event", lambda: len(h.events()) >= 4, 120)
        wait_polls("2 more polls of each feed", 2)
        check_events(h.events(), events)
        check_tickets(h.tickets(), expected)

        # 6. Kafka holds each item and each alert once; Redis marked each produced item seen
        items = h.dump("yuqing.items")
        assert_unique(items, "items")
        assert len(items) == 7, f"want 7 items (6 entries + 1 late), got {len(items)}: {items}"
        alerts = h.dump("yuqing.alerts")
        assert_unique(alerts, "alerts")
        assert len(alerts) == 4, alerts
        seen = [k for k in h.redis("--scan", "--pattern", "yuqing:seen:*").split() if k]
        assert len(seen) == 7, seen
        h.stop_stages()
        ok = True
        print("1 passed, 0 failed")
        return 0
    except AssertionError as exc:
        print(f"FAIL: {exc}")
        for name in ("collector", "matcher", "notifier", "kafka"):
            if os.path.exists(os.path.join(work, f"{name}.log")):
                print(f"--- {name}.log (tail) ---\n{h.tail(name)}")
        print("0 passed, 1 failed")
        return 1
    finally:
        h.close()
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"work directory kept: {work}")


if __name__ == "__main__":
    sys.exit(main())
