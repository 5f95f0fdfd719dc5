#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""test_server.py - an ingest endpoint with injected faults, for the
runtime's tests.  Listens on 127.0.0.1 only.

Modes:
  ok       answer 200 to every POST
  fail500  answer 500 to the first N requests, then 200
  stall    on the first N requests, read the body then sleep STALL seconds
           before answering (longer than the client's timeout), then 200
  (down: simply do not start it)

Asked as an HTTP proxy (CONNECT host:port), it records the request and
refuses the tunnel: a test that points http(s)_proxy at it sees every
destination a client tried to reach, and nothing leaves the machine.

Every request is recorded (method, path, headers, body, status, stalled)
in memory and, with --log, appended to a JSONL file.  A stalled request is
recorded with stalled=True: the client gave up on it, so it counts as not
delivered (the server "failed before committing").

Standalone: test_server.py --port 0 --mode fail500 --n 3 --log requests.jsonl
prints the port it listens on.
"""
import argparse
import http.server
import json
import threading
import time


class Recorder:
    def __init__(self, mode="ok", n=0, stall=30.0, log=None):
        self.mode, self.n, self.stall, self.log = mode, n, stall, log
        self.count = 0
        self.records = []
        self.lock = threading.Lock()

    def decide(self):
        """Returns (status, stall_seconds) for the next request."""
        with self.lock:
            self.count += 1
            first = self.count <= self.n
        if self.mode == "fail500" and first:
            return 500, 0
        if self.mode == "stall" and first:
            return 200, self.stall
        return 200, 0

    def record(self, rec):
        with self.lock:
            self.records.append(rec)
            if self.log:
                with open(self.log, "a") as f:
                    f.write(json.dumps(rec) + "\n")

    def delivered(self):
        """Bodies the client saw acknowledged (2xx, not stalled)."""
        with self.lock:
            return [json.loads(r["body"]) for r in self.records
                    if r["status"] // 100 == 2 and not r["stalled"]]


def make_handler(rec):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            status, stall = rec.decide()
            rec.record({"method": "POST", "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": body, "status": status,
                        "stalled": stall > 0, "time": time.time()})
            if stall:
                time.sleep(stall)
            payload = b'{"ok":true}' if status == 200 else b'{"error":"injected"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass

        def do_CONNECT(self):
            # Asked as an HTTP proxy: record where the client wanted to go,
            # refuse the tunnel, so nothing leaves this machine.
            rec.record({"method": "CONNECT", "path": self.path,
                        "headers": dict(self.headers.items()), "body": "",
                        "status": 403, "stalled": False, "time": time.time()})
            try:
                self.send_response(403)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass

        def log_message(self, fmt, *args):
            pass

    return Handler


class TestServer:
    """A threaded server on 127.0.0.1:port (0: ephemeral) in a thread."""

    def __init__(self, port=0, **kw):
        self.rec = Recorder(**kw)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     make_handler(self.rec))
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", default="ok", choices=["ok", "fail500", "stall"])
    ap.add_argument("--n", type=int, default=0)
    ap.add_argument("--stall", type=float, default=30.0)
    ap.add_argument("--log")
    a = ap.parse_args()
    s = TestServer(a.port, mode=a.mode, n=a.n, stall=a.stall, log=a.log)
    print(s.port, flush=True)
    try:
        s.thread.join()
    except KeyboardInterrupt:
        s.close()


if __name__ == "__main__":
    main()
