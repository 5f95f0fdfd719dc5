# SPDX-License-Identifier: Apache-2.0
"""test_readers.py - readers cannot starve ingest.

Over a database of 3,000 functions with 120 minutes of counts each, eight clients loop on the heaviest
read (/api/report?limit=0&since=all) while ingests are timed one after
another; every ingest must be answered 200 within LATENCY_MAX seconds.
Before heavy reads ran on their own bounded pool of threads, they took
every HTTP worker thread and database connection, and an ingest waited
behind them for seconds."""
import http.client
import os
import sqlite3
import threading
import time

import harness
from harness import check

FUNCTIONS, HISTORY, READERS, SAMPLES = 3000, 120, 8, 8
# An ingest starved by readers waited seconds; one with its own threads is
# answered in milliseconds.  Under ThreadSanitizer on two busy cores the
# server itself runs 5 to 15 times slower (1.0 s was exceeded once, beside
# a benchmark), so there the bound is 4 s: the plain build guards against
# starvation, the sanitized one against races.
LATENCY_MAX = 4.0 if os.environ.get("CNSM_SANITIZED") else 1.0
READ = "/api/report?limit=0&since=all"


def populate(srv, key):
    for part in range(0, FUNCTIONS, 500):
        fns = [{"name": "mod%02d.fn%05d" % (i % 40, i), "department": "dep%d" % (i % 12),
                "value_weight": 1 + i % 7, "calls": 3 + i * 13 % 997, "errors": i % 3,
                "total_ms": 0.5 * (i % 101)} for i in range(part, part + 500)]
        status, _ = srv.ingest({"functions": fns}, key)
        check(status == 200, "populate: %d" % status)
    # History: the same counts in the HISTORY minutes before (as a
    # collector that has run for two hours would hold).
    con = sqlite3.connect(srv.db, timeout=30)
    with con:
        con.execute("INSERT INTO counts(project, name, bucket, calls, errors, total_ms)"
                    " SELECT c.project, c.name, c.bucket - 60 * h.k,"
                    " c.calls, c.errors, c.total_ms FROM counts c, (WITH RECURSIVE"
                    " r(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM r WHERE k < ?)"
                    " SELECT k FROM r) h", (HISTORY,))
    con.close()


def reader(port, stop, done):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        try:
            conn.request("GET", READ)
            r = conn.getresponse()
            r.read()
            done[0] += r.status == 200
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.close()


def timed_ingest(port, key, n):
    body = '{"functions":[{"name":"probe.fn","calls":1,"total_ms":%d}]}' % n
    t0 = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", "/codensm/ingest", body, {
        "Authorization": "Bearer " + key, "Content-Type": "application/json"})
    status = conn.getresponse().status
    conn.close()
    return status, time.monotonic() - t0


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "big")
    with harness.Collector(db) as srv:
        populate(srv, key)
        t0 = time.monotonic()
        srv.get_json(READ)
        alone = time.monotonic() - t0
        stop, done = threading.Event(), [0]
        threads = [threading.Thread(target=reader, args=(srv.port, stop, done))
                   for _ in range(READERS)]
        for t in threads:
            t.start()
        try:
            time.sleep(1.0)
            lat = []
            for n in range(SAMPLES):
                status, dt = timed_ingest(srv.port, key, n)
                check(status == 200, "ingest under readers: %d" % status)
                lat.append(dt)
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=120)
        print("one report alone %.3fs; ingest latencies %s; reports served %d" % (
            alone, " ".join("%.3f" % x for x in lat), done[0]))
        check(done[0] > 0, "no report was served")
        check(max(lat) < LATENCY_MAX, "ingest latency under %d readers: max %.3fs > %.1fs" % (
            READERS, max(lat), LATENCY_MAX))
    check(harness.totals(db, "big")["probe.fn"][0] == SAMPLES, "probes stored")


if __name__ == "__main__":
    harness.main(test)
