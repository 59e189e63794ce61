#!/usr/bin/env python3
"""End-to-end test of yuqing-archiver (issue #14): killed with SIGKILL mid-stream, restarted,
every item is in the archive exactly once.

Starts the mock Kafka cluster with the project's command (yuqingctl kafka-dev), makes the
archive (yuqingctl archive init), produces items (some of them twice: a re-poll), malformed
messages on both topics and alerts (some before their item) with yq_test_produce, runs the real
yuqing-archiver, kills it with SIGKILL while messages are still coming, produces more, starts
it again, and checks the archive with `yuqingctl archive status --json`: every item id exactly
once (count and ids), each alerted item with its rule, the others with none, the malformed
messages skipped (logged with their topic, partition and offset). Waits poll for the state with
hang guards only; nothing asserts a duration.
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import urllib.request

import yq_procs
from yq_procs import free_port, iso

N_ITEMS = 240
ALERTED = {i: ("t-land" if i % 2 else "t-eco") for i in range(0, N_ITEMS, 12)}  # 20 items
DUPLICATED = range(5, N_ITEMS, 16)  # produced twice
HANG_GUARD_S = 120  # a hang guard only, never a performance bound


def wait_until(what, predicate, timeout_s=HANG_GUARD_S):
    return yq_procs.wait_until(what, predicate, timeout_s)


NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def item_id(i):
    return f"rss:e2e-{i:04d}"


def item(i):
    titles = ["汉滨区一小区停水三天 居民盼早日恢复", "岚皋县征地补偿款发放进度受关注",
              "旬阳市新建学校9月开学", "石泉县一养殖场被指偷排污水"]
    return {"schema": 1, "id": item_id(i), "source": "rss", "source_id": "ankang-gov",
            "channel": "安康市人民政府", "url": f"https://www.ankang.gov.cn/e2e/{i}.html",
            "title": f"{titles[i % len(titles)]}（{i}）", "text": "安康市群众留言反映的问题。",
            "author": "", "published_at": iso(NOW - datetime.timedelta(minutes=N_ITEMS - i)),
            "fetched_at": iso(NOW)}


def alert(i, rule):
    dept = "市自然资源局" if rule == "t-land" else "市生态环境局"
    return {"schema": 1, "event_key": f"ev-{i}", "event": {"new": True, "items": 1, "via": "new"},
            "rules_version": 1, "matched_at": iso(NOW), "score": 1.0, "level": "III",
            "department": dept,
            "matches": [{"rule_id": rule, "name": rule, "group": "e2e", "department": dept,
                         "level": "III", "terms": []}],
            "item": item(i)}


def line(topic, obj):
    text = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return f"{topic}\t{text}\n"


class Harness(yq_procs.Procs):
    def __init__(self, build, work):
        super().__init__(work)
        self.build = build
        self.archive = os.path.join(work, "archive")
        self.runs = 0

    def bin(self, rel):
        return os.path.join(self.build, rel)

    def produce(self, lines):
        out = subprocess.run([self.bin("tests/integration/yq_test_produce"), self.bootstrap],
                             input="".join(lines).encode("utf-8"), capture_output=True,
                             timeout=HANG_GUARD_S)
        assert out.returncode == 0, out.stderr.decode("utf-8", "replace")

    def start_archiver(self):
        self.runs += 1
        name = f"archiver{self.runs}"
        self.metrics_port_file = None
        self.spawn(name, [self.bin("archive/yuqing-archiver"), "--config",
                          os.path.join(self.src, "config/archiver.yaml"),
                          "--set", f"kafka.bootstrap_servers={self.bootstrap}",
                          "--set", f"archive.dir={self.archive}",
                          "--set", "archive.batch_size=10", "--set", "archive.batch_wait_ms=20",
                          "--set", f"archive.metrics_port={self.metrics_port}",
                          "--set", "kafka.session_timeout_ms=3000"])
        return name

    def status(self):
        out = subprocess.run([self.bin("tools/yuqingctl"), "archive", "status", "--dir",
                              self.archive, "--json", "--recent", "1000"],
                             capture_output=True, timeout=60, cwd=self.work)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode("utf-8", "replace"))
        return json.loads(out.stdout)

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                    timeout=5) as r:
            return r.read().decode("utf-8")



def run(h):
    h.bootstrap = h.start_kafka(h.bin("tools/yuqingctl"), 3)
    out = subprocess.run([h.bin("tools/yuqingctl"), "archive", "init", h.archive],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    # an archiver on a missing archive refuses to start and names the first-run command
    missing = os.path.join(h.work, "no-archive")
    out = subprocess.run([h.bin("archive/yuqing-archiver"), "--config",
                          os.path.join(h.src, "config/archiver.yaml"),
                          "--set", f"kafka.bootstrap_servers={h.bootstrap}",
                          "--set", f"archive.dir={missing}", "--set", "archive.metrics_address="],
                         capture_output=True, timeout=60)
    assert out.returncode == 1, out
    assert f"run yuqingctl archive init {missing}" in out.stderr.decode(), out.stderr
    assert not os.path.exists(missing)

    # phase 1: the first third, a malformed item and alert, and alerts of items still to come
    first = [line("yuqing.items", item(i)) for i in range(0, 80)]
    first += [line("yuqing.items", "{\"schema\":1,\"id\":"), line("yuqing.alerts", "not json")]
    first += [line("yuqing.alerts", alert(i, r)) for i, r in ALERTED.items() if i >= 160]
    h.produce(first)
    name = h.start_archiver()
    # phase 2 streams while the archiver runs; it is killed as soon as it stored something
    rest = [line("yuqing.items", item(i)) for i in range(80, 160)]
    rest += [line("yuqing.items", item(i)) for i in DUPLICATED if i < 160]
    rest += [line("yuqing.alerts", alert(i, r)) for i, r in ALERTED.items() if i < 160]
    producer = subprocess.Popen([h.bin("tests/integration/yq_test_produce"), h.bootstrap],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    producer.stdin.write("".join(rest).encode("utf-8"))
    producer.stdin.close()
    wait_until("the first stored items", lambda: h.status()["items"] > 0)
    h.procs[name].send_signal(signal.SIGKILL)
    h.procs[name].wait(timeout=30)
    killed_at = h.status()["items"]
    assert producer.wait(timeout=HANG_GUARD_S) == 0, producer.stderr.read()

    # phase 3: the rest while the archiver is down, with duplicates of earlier items
    more = [line("yuqing.items", item(i)) for i in range(160, N_ITEMS)]
    more += [line("yuqing.items", item(i)) for i in DUPLICATED if i >= 160]
    more += [line("yuqing.items", item(i)) for i in range(0, 10)]  # re-polled after the kill
    more += [line("yuqing.items", "[1,2,3]")]
    h.produce(more)
    name = h.start_archiver()

    expected = {item_id(i) for i in range(N_ITEMS)}
    matched = {item_id(i): rule for i, rule in ALERTED.items()}

    def complete():
        st = h.status()
        return st if st["items"] == N_ITEMS and st["matched"] == len(ALERTED) else None
    st = wait_until(f"{N_ITEMS} items, {len(ALERTED)} matched", complete)
    # everything consumed and committed: the batch is empty and every message counted
    wait_until("the archiver's batch committed",
               lambda: "yuqing_archiver_batch_messages 0" in h.metrics() and
               "yuqing_archiver_dependency_up{dependency=\"store\"} 1" in h.metrics())

    ids = [r["id"] for r in st["recent"]]
    assert len(ids) == N_ITEMS, len(ids)
    assert len(set(ids)) == N_ITEMS, "an item id is listed twice"
    assert set(ids) == expected, sorted(set(ids) ^ expected)[:10]
    for r in st["recent"]:
        want = [matched[r["id"]]] if r["id"] in matched else []
        assert r["rules"] == want, (r["id"], r["rules"], want)
    assert sum(m["items"] for m in st["months"]) == N_ITEMS

    # malformed messages were skipped with their place named, by one run or the other
    logs = h.log("archiver1") + h.log("archiver2")
    for topic in ("yuqing.items", "yuqing.alerts"):
        assert f"malformed message skipped topic={topic} partition=" in logs, topic
    assert logs.count("malformed message skipped") >= 3
    assert "offset=" in logs

    # SIGTERM: stores, commits and exits 0
    p = h.procs.pop(name)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 0, h.log(name)[-2000:]
    assert h.status()["items"] == N_ITEMS
    print(f"ok: killed after {killed_at} stored items; {N_ITEMS} items exactly once, "
          f"{len(ALERTED)} matched")


def main():
    build, src = yq_procs.build_and_source_dirs()

    def make(work):
        h = Harness(build, work)
        h.src = src
        h.metrics_port = free_port()
        return h

    return yq_procs.run_in_work("yq-archiver-e2e-", make, run)


if __name__ == "__main__":
    sys.exit(main())
