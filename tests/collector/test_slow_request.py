# SPDX-License-Identifier: Apache-2.0
"""test_slow_request.py - a client that trickles its request is closed at
its deadline, and trickling clients cannot keep a real sender out.

libmicrohttpd's time-out counts from the last byte received, so before
--header-timeout and --body-timeout a client sending one byte every half
second kept its connection forever (slowloris).  The collector runs with
--header-timeout 2s --body-timeout 3s and 400 open files (a cap of 272
connections, see test_connection_cap.py):

1. A client trickles header bytes, one every 0.25 s: it must be closed
   within 2 s + a margin of its start, while an ingest on another
   connection is answered 200 meanwhile.
2. A client sends whole headers and trickles its body: closed within
   3 s + the margin of its headers.
3. 280 clients from four addresses fill the cap and keep trickling
   header bytes: a sender from a fifth address is refused at first and
   answered 200 once the deadline has passed, while they still trickle.
   Before the deadlines it stayed refused as long as they trickled.
The closings are said once on stderr.  Every wait is bounded."""
import os
import select
import socket
import threading
import time

import harness
from harness import check, wait_for
from test_connection_cap import ingest_from

HEADER_S, BODY_S = 2.0, 3.0
MARGIN = 6.0 if os.environ.get("CNSM_SANITIZED") else 1.5
TICK = 0.25  # between trickled bytes: far below the 30 s idle time-out
FILES = 400  # a cap of 272 connections
ATTACK_ADDRS = ["127.0.0.%d" % i for i in (30, 31, 32, 33)]


class Trickler:
    """Clients that each send one more byte every TICK on their own
    sockets, from a thread, until stop(); remembers when each was
    closed by the server."""

    def __init__(self, socks, first, then=b"a"):
        self.socks, self.then = socks, then
        self.closed_at = [None] * len(socks)
        self.stopping = threading.Event()
        for s in socks:
            self.send(s, first)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    @staticmethod
    def send(s, data):
        try:
            s.sendall(data)
        except OSError:
            pass  # closed: seen by closed()

    def closed(self, i):
        """Has the server closed socket i (end of file or reset)?"""
        s = self.socks[i]
        if not select.select([s], [], [], 0)[0]:
            return False
        try:
            return s.recv(4096) == b""
        except OSError:
            return True

    def run(self):
        while not self.stopping.wait(TICK):
            for i, s in enumerate(self.socks):
                if self.closed_at[i] is None:
                    if self.closed(i):
                        self.closed_at[i] = time.monotonic()
                    else:
                        self.send(s, self.then)

    def all_closed(self):
        return all(t is not None for t in self.closed_at)

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=10)
        for s in self.socks:
            s.close()


def connect(port, addr="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    s.bind((addr, 0))
    s.connect(("127.0.0.1", port))
    return s


def expect_closed_at(t, t0, due, what):
    """The one client of t must be closed due seconds after t0, give or
    take MARGIN (the sweep runs every quarter of a second)."""
    check(wait_for(t.all_closed, due + MARGIN + 4),
          "a client trickling its %s was still open after %.1f s" % (what, time.monotonic() - t0))
    took = t.closed_at[0] - t0
    check(due - 0.1 <= took <= due + MARGIN,
          "%s trickled: closed after %.2f s (deadline %.0f s)" % (what, took, due))


def slow_headers(srv, key):
    t0 = time.monotonic()
    t = Trickler([connect(srv.port)], b"POST /codensm/ingest HTTP/1.1\r\nX-Slow: ")
    try:
        status, reply = srv.ingest({"functions": [{"name": "svc.meanwhile", "calls": 1}]}, key)
        check(status == 200, "ingest beside a trickling client: %d %r" % (status, reply))
        expect_closed_at(t, t0, HEADER_S, "headers")
    finally:
        t.stop()


def slow_body(srv, key):
    s = connect(srv.port)
    head = ("POST /codensm/ingest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n" % key)
    t0 = time.monotonic()
    t = Trickler([s], head.encode(), then=b" ")
    try:
        expect_closed_at(t, t0, BODY_S, "body")
    finally:
        t.stop()


def cap_filled_by_tricklers(srv, key):
    socks = [connect(srv.port, addr) for addr in ATTACK_ADDRS for _ in range(70)]
    t0 = time.monotonic()
    t = Trickler(socks, b"GET /healthz HTTP/1.1\r\nX-Slow: ")
    try:
        time.sleep(0.5)  # accepted, or closed beyond the cap
        result, _ = ingest_from(srv.port, key, "127.0.0.40", "svc.refused")
        check(result != 200 and time.monotonic() - t0 < HEADER_S,
              "the tricklers did not fill the cap: %r" % (result,))
        result = None
        while result != 200 and time.monotonic() - t0 < HEADER_S + MARGIN + 4:
            result, _ = ingest_from(srv.port, key, "127.0.0.40", "svc.through")
            time.sleep(0.1)
        took = time.monotonic() - t0
        check(result == 200, "a sender was kept out by trickling clients for %.1f s: %r" % (
            took, result))
        check(took <= HEADER_S + MARGIN, "a sender got through only after %.2f s" % took)
        check(not t.stopping.is_set() and t.thread.is_alive(), "the tricklers stopped early")
    finally:
        t.stop()


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "svc")
    with harness.Collector(db, ["--header-timeout", "2s", "--body-timeout", "3s"],
                           nofile=FILES) as srv:
        slow_headers(srv, key)
        slow_body(srv, key)
        cap_filled_by_tricklers(srv, key)
        time.sleep(1.5 * TICK)
        check(srv.logtext().count("too slow to send a request") == 1,
              "the closings were not said once:\n" + srv.logtext()[-1500:])
    totals = harness.totals(db, "svc")
    check(totals["svc.meanwhile"][0] == 1 and totals["svc.through"][0] == 1
          and "svc.refused" not in totals, "stored: %r" % totals)


if __name__ == "__main__":
    harness.main(test)
