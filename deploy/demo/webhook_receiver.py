#!/usr/bin/env python3
"""A stand-in for the duty office's group robots in the demo: accepts yuqing's generic JSON
webhook notifications on 127.0.0.1 and appends one line per message to a log file, so the
demo shows 交办, 催办 and 督办 notifications arriving. Usage: webhook_receiver.py PORT LOGFILE"""
import datetime
import http.server
import json
import sys
import urllib.parse


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20))
        try:
            msg = json.loads(body)
        except ValueError:
            msg = {"unparsed": body.decode("utf-8", "replace")}
        line = {
            "received_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "recipient": urllib.parse.unquote(self.path.strip("/")),
            "idempotency_key": self.headers.get("Idempotency-Key"),
            "message": msg,
        }
        with open(sys.argv[2], "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"ok":true}')

    def log_message(self, fmt, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
