# SPDX-License-Identifier: Apache-2.0
"""test_connection_cap.py - past the cap on all connections, a new one is
closed at once, and room comes back as connections end.

The collector runs with 400 open files, so its cap is 272 connections
(400 less 128 kept for the database, logs and slack; said on stderr).
300 idle connections are opened from four addresses (75 each, under the
cap of 256 per address).  A request from a fifth address must then end
at once, with the connection closed, not wait: until round twenty-six
libmicrohttpd's own limit stopped polling the listen socket, and new
connections waited unanswered in the kernel's backlog until an idle one
timed out 30 s later.  The cap is said once on stderr.  Once 100 idle
connections close, an ingest is answered 200 again."""
import http.client
import os
import socket
import time

import harness
from harness import check

FILES, CAP = 400, 272
IDLE_ADDRS = ["127.0.0.%d" % i for i in (10, 11, 12, 13)]


def idle_connections(port, per_addr):
    socks = []
    for addr in IDLE_ADDRS:
        for _ in range(per_addr):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(5)
            s.bind((addr, 0))
            s.connect(("127.0.0.1", port))
            socks.append(s)
    return socks


def ingest_from(port, key, addr, name):
    """One ingest from addr; (status or the exception's repr, seconds)."""
    body = '{"functions":[{"name":"%s","calls":1}]}' % name
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                      source_address=(addr, 0))
    try:
        conn.request("POST", "/codensm/ingest", body,
                     {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        result = conn.getresponse().status
    except Exception as e:  # closed, reset, or the timeout of a hang
        result = repr(e)
    finally:
        conn.close()
    return result, time.monotonic() - t0


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "svc")
    with harness.Collector(db, nofile=FILES) as srv:
        check("at most %d connections" % CAP in srv.logtext(),
              "the cap was not said:\n" + srv.logtext()[-1000:])
        socks = idle_connections(srv.port, 75)
        try:
            time.sleep(1.0)  # accepted, or closed beyond the cap
            result, took = ingest_from(srv.port, key, "127.0.0.20", "svc.beyond")
            check(result != 200 and took < 2.0,
                  "beyond the cap: %r after %.2f s (closed at once expected)" % (result, took))
            check(srv.logtext().count("connections open, the most allowed") == 1,
                  "the cap reached was not said once:\n" + srv.logtext()[-1500:])
            for s in socks[:100]:
                s.close()
            deadline = time.time() + 5
            result = None
            while time.time() < deadline and result != 200:
                result, took = ingest_from(srv.port, key, "127.0.0.20", "svc.room")
                time.sleep(0.1)
            check(result == 200, "no room after 100 connections closed: %r" % (result,))
        finally:
            for s in socks:
                s.close()
    totals = harness.totals(db, "svc")
    check("svc.beyond" not in totals and totals["svc.room"][0] >= 1,
          "stored: %r" % totals)


if __name__ == "__main__":
    harness.main(test)
