#!/usr/bin/env python3
"""The feed farm of bench/e2e: one process serving many RSS 2.0 feeds that gain entries at a
fixed total rate.

Entry k (k = 0 .. rate * duration - 1) is created at t0 + k / rate (epoch seconds; t0 is given)
and belongs to feed k mod FEEDS. A feed shows its newest entries created by now, at most
max(--min-window, ceil(rate / FEEDS * --window-s)) of them (a real feed's sliding window: an entry
not fetched before it slides out is lost, and the driver counts it as never fetched). Feeds are
spread over --hosts loopback addresses 127.0.1.1, 127.0.1.2, ... on one port, so the collector's
per-host limit (collector.max_per_host) applies as with many sites. Each feed answers conditional
GETs (ETag = feed and newest entry; 304 when unchanged).

Every entry has a unique GUID (e2e-RUN-k) and link http://HOST:PORT/a/F/K.html (the driver finds
the entry's store rows by that link) and a realistic Chinese post (posts.py) that matches a rule
of config/rules. The farm records the time each entry was first served (epoch ms) and, at the
end (SIGTERM or SIGINT), writes --out: one line per produced entry "k<TAB>created_ms<TAB>
first_served_ms" (first_served_ms 0 = never served), plus --stats (JSON: requests, 304s, bytes,
entries served).

It writes --ready (the port) once every address listens. Standard library only (asyncio).
"""
import argparse
import asyncio
import email.utils
import json
import math
import os
import signal
import sys
import time
from array import array
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import posts  # noqa: E402

MAX_REQUEST_BYTES = 16384


class Farm:
    def __init__(self, args):
        self.a = args
        self.rate = float(args.rate)
        self.total = int(round(args.rate * args.duration))
        self.feeds = args.feeds
        per_feed = self.rate / self.feeds
        self.window = max(args.min_window, int(math.ceil(per_feed * args.window_s)))
        self.t0 = args.t0
        self.first_served = array("d", bytes(8 * self.total))
        self.cache = {}  # k -> rendered <item> (dropped once the entry left its feed's window)
        self.requests = 0
        self.not_modified = 0
        self.bytes = 0
        self.host_of = lambda f: f"127.0.1.{1 + f % args.hosts}"

    def produced_by(self, now):
        """How many entries exist at epoch time now (0 before t0, total after the end)."""
        if now < self.t0:
            return 0
        return min(self.total, int((now - self.t0) * self.rate) + 1)

    def window_of(self, f, now):
        """Entry numbers in feed f's window at time now, newest first."""
        n = self.produced_by(now)
        if n <= f:
            return []
        newest = f + ((n - 1 - f) // self.feeds) * self.feeds
        oldest = max(f, newest - (self.window - 1) * self.feeds)
        return list(range(newest, oldest - 1, -self.feeds))

    def item_xml(self, f, k):
        x = self.cache.get(k)
        if x is None:
            title, text, _ = posts.post(self.a.seed, k)
            created = self.t0 + k / self.rate
            host = self.host_of(f)
            x = ("<item><title>{t}</title><link>http://{h}:{p}/a/{f}/{k}.html</link>"
                 "<guid isPermaLink=\"false\">e2e-{run}-{k}</guid><pubDate>{d}</pubDate>"
                 "<description>{x}</description></item>").format(
                     t=escape(title), h=host, p=self.port, f=f, k=k, run=self.a.run_id,
                     d=email.utils.formatdate(created, localtime=False, usegmt=True),
                     x=escape(text))
            self.cache[k] = x
        return x

    def feed(self, f, etag_in):
        now = time.time()
        ks = self.window_of(f, now)
        etag = f"\"{f}-{ks[0] if ks else -1}\""
        if etag_in == etag:
            self.not_modified += 1
            return 304, etag, b""
        ms = now * 1000.0
        for k in ks:
            if not self.first_served[k]:
                self.first_served[k] = ms
        # entries that slid out of this feed's window are never rendered again
        gone = (ks[-1] if ks else f) - self.feeds
        while gone >= 0 and self.cache.pop(gone, None) is not None:
            gone -= self.feeds
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>"
                f"<title>安康网络问政 {f:03d}</title><link>http://{self.host_of(f)}:{self.port}/"
                f"</link><description>本地论坛与新闻站点 {f}</description>"
                + "".join(self.item_xml(f, k) for k in ks) + "</channel></rss>")
        return 200, etag, body.encode("utf-8")

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if len(head) > MAX_REQUEST_BYTES:
                    break
                lines = head.decode("latin-1").split("\r\n")
                parts = lines[0].split(" ")
                if len(parts) != 3:
                    break
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                self.requests += 1
                status, etag, body, ctype = self.route(parts[1], headers)
                reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
                out = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                       f"Content-Length: {len(body)}\r\n"
                       + (f"ETag: {etag}\r\n" if etag else "") + "\r\n").encode() + body
                self.bytes += len(out)
                writer.write(out)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    def route(self, path, headers):
        path = path.split("?", 1)[0]
        if path.startswith("/feed/") and path.endswith(".xml"):
            try:
                f = int(path[6:-4])
            except ValueError:
                f = -1
            if 0 <= f < self.feeds:
                status, etag, body = self.feed(f, headers.get("if-none-match"))
                return status, etag, body, "application/rss+xml; charset=utf-8"
        if path == "/_farm/stats":
            body = json.dumps(self.live_stats()).encode()
            return 200, None, body, "application/json"
        return 404, None, b"not found\n", "text/plain"

    def live_stats(self):
        return {"requests": self.requests, "not_modified": self.not_modified,
                "bytes": self.bytes, "entries": self.total,
                "produced": self.produced_by(time.time()), "window": self.window,
                "feeds": self.feeds, "hosts": self.a.hosts}

    def write_results(self):
        with open(self.a.out + ".tmp", "w") as out:
            for k in range(self.total):
                created = self.t0 * 1000.0 + k * 1000.0 / self.rate
                out.write(f"{k}\t{created:.3f}\t{self.first_served[k]:.3f}\n")
        os.replace(self.a.out + ".tmp", self.a.out)
        if self.a.stats:
            stats = self.live_stats()
            stats["served"] = sum(1 for v in self.first_served if v)
            with open(self.a.stats, "w") as f:
                json.dump(stats, f)

    async def main(self):
        servers = []
        self.port = self.a.port
        for h in range(min(self.a.hosts, self.feeds)):
            servers.append(await asyncio.start_server(self.handle, f"127.0.1.{1 + h}",
                                                      self.port, reuse_address=True))
            if not self.port:
                self.port = servers[0].sockets[0].getsockname()[1]
        with open(self.a.ready + ".tmp", "w") as f:
            f.write(f"{self.port}\n")
        os.replace(self.a.ready + ".tmp", self.a.ready)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        for s in servers:
            s.close()
        self.write_results()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=float, required=True, help="entries per second, all feeds")
    ap.add_argument("--duration", type=float, required=True, help="seconds of production")
    ap.add_argument("--t0", type=float, required=True, help="epoch seconds of entry 0")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--hosts", type=int, default=50, help="loopback addresses 127.0.1.N")
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    ap.add_argument("--window-s", type=float, default=10.0,
                    help="a feed holds its entries of about this many seconds")
    ap.add_argument("--min-window", type=int, default=20, help="entries a feed holds at least")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--run-id", default="0")
    ap.add_argument("--ready", required=True, help="file written with the port once listening")
    ap.add_argument("--out", required=True, help="TSV of every entry: k, created_ms, served_ms")
    ap.add_argument("--stats", help="JSON with request counts")
    args = ap.parse_args()
    if args.rate <= 0 or args.duration <= 0 or args.feeds < 1 or not 1 <= args.hosts <= 254:
        ap.error("--rate and --duration must be positive, --feeds >= 1, --hosts 1..254")
    asyncio.run(Farm(args).main())


if __name__ == "__main__":
    main()
