"""Process and port helpers shared by the integration tests (tests/integration/*.py) and
bench/e2e/e2e.py (which imports this file by path): free ports, polling with a hang guard,
UTC timestamps, and a set of named child processes with their logs in one folder.
Standard library only. An integration test's main() reads its folders with
build_and_source_dirs() and runs in a folder of its own with run_in_work().
"""
import argparse
import http.server
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    """A TCP port on 127.0.0.1 free at the time of asking."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout_s, step=0.1, error=AssertionError):
    """predicate()'s first true value, polled every step seconds; an exception counts as not
    yet. After timeout_s (a hang guard, never a performance bound) raises error naming what
    and the last answer."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(step)
    raise error(f"timed out after {timeout_s}s waiting for {what} (last: {last!r})")


def iso(t):
    """A UTC datetime as RFC 3339 with a Z, whole seconds."""
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class WebhookHandler(http.server.BaseHTTPRequestHandler):
    """A webhook that takes every POST: record(body) (override it; bytes, called on the
    server's thread) then 200 with {}; no access log."""

    def record(self, body):
        pass

    def do_POST(self):
        self.record(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, fmt, *args):
        pass


class Procs:
    """Child processes by name, each writing stdout and stderr to WORK/NAME.log (appended),
    started in work."""

    def __init__(self, work):
        self.work = work
        self.procs = {}

    def log_path(self, name):
        return os.path.join(self.work, f"{name}.log")

    def spawn(self, name, argv):
        """Start argv as name; returns its Popen."""
        with open(self.log_path(name), "ab") as log:
            self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                                cwd=self.work)
        return self.procs[name]

    def log(self, name):
        """The whole log of name, as text."""
        with open(self.log_path(name), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def tail(self, name, n=40):
        """The last n lines of name's log."""
        return "\n".join(self.log(name).splitlines()[-n:])

    def start_kafka(self, yuqingctl, partitions, error=AssertionError):
        """librdkafka's mock cluster with partitions per topic (yuqingctl kafka-dev, the
        binary at path yuqingctl) as "kafka"; returns its bootstrap servers once it wrote them
        (hang guard 30 s, then error)."""
        bfile = os.path.join(self.work, "kafka.bootstrap")
        self.spawn("kafka", [yuqingctl, "kafka-dev", "--partitions", str(partitions),
                             "--bootstrap-file", bfile])
        wait_until("mock kafka", lambda: os.path.exists(bfile) and os.path.getsize(bfile), 30,
                   error=error)
        with open(bfile) as f:
            return f.read().strip()

    def stop(self, name, timeout=60):
        """SIGTERM to name (forgotten here), SIGKILL after timeout seconds. Returns its exit
        status, None when there was no such process."""
        p = self.procs.pop(name, None)
        if not p:
            return None
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def stop_all(self, timeout=30):
        for name in list(self.procs):
            self.stop(name, timeout)


def build_and_source_dirs():
    """The --build-dir and --source-dir an integration test is run with (both required; ctest
    passes them), as absolute paths."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    return os.path.abspath(args.build_dir), os.path.abspath(args.source_dir)


def run_in_work(prefix, make, body, cleanup=None):
    """body(h) with h = make(work), a Procs in work, a new folder named prefix + a random part.
    Whatever body does, h's processes are stopped and then cleanup(h) runs (if given; its errors
    are ignored). After a success the folder is removed; after a failure it is kept with the
    logs and named on stderr, and body's exception goes on. Returns 0."""
    work = tempfile.mkdtemp(prefix=prefix)
    h = make(work)
    ok = False
    try:
        body(h)
        ok = True
    finally:
        h.stop_all()
        if cleanup:
            try:
                cleanup(h)
            except Exception:
                pass
        if ok:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"logs kept in {work}", file=sys.stderr)
    return 0
