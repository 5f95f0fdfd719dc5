# SPDX-License-Identifier: Apache-2.0
"""test_idle_flood.py - idle connections cannot stop ingest.

1,100 idle TCP connections (no request, no key) are opened from one
client address (127.0.0.2); a well-formed ingest from another client
(127.0.0.1) must still be answered 200 within a second, because the
collector caps connections per client address and has room beyond
that cap.  Before the cap, the flood filled MHD's default limit of
1,020 connections and every new connection was closed unanswered."""
import os
import resource
import socket
import time

import harness
from harness import check

FLOOD, FLOOD_ADDR = 1100, "127.0.0.2"


def open_flood(port):
    """Opens FLOOD idle connections from FLOOD_ADDR; returns the sockets."""
    socks = []
    for _ in range(FLOOD):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.bind((FLOOD_ADDR, 0))
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            pass  # refused or reset by the cap: still part of the flood
        socks.append(s)
    return socks


def timed_ingest(srv, key, n):
    """One ingest from 127.0.0.1; returns (status or exception, seconds)."""
    body = {"functions": [{"name": "svc.flood%d" % n, "calls": 1, "total_ms": 1}]}
    t0 = time.monotonic()
    try:
        status, _ = srv.ingest(body, key)
    except Exception as e:  # reset, refused, timeout: what the flood caused
        status = repr(e)
    return status, time.monotonic() - t0


def test(tmp):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < FLOOD + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "svc")
    with harness.Collector(db) as srv:
        socks = open_flood(srv.port)
        try:
            time.sleep(1.0)  # let the server accept (or refuse) them all
            for n in range(3):
                status, dt = timed_ingest(srv, key, n)
                check(status == 200 and dt < 1.0,
                      "ingest %d during an idle flood: %r after %.2fs" % (n, status, dt))
        finally:
            for s in socks:
                s.close()
    check(harness.totals(db, "svc")["svc.flood0"][0] == 1, "stored once")


if __name__ == "__main__":
    harness.main(test)
