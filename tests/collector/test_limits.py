# SPDX-License-Identifier: Apache-2.0
"""test_limits.py - sums that cannot wrap or become infinite.

A project's all-time calls and errors are kept exact up to 2^53 - 1 and
its total_ms finite up to 1e18 ms (docs/ingest-contract.md, "Limits").
A request that would take a total past its limit is refused whole with
422 and a JSON error naming the field, and nothing of it is stored;
/metrics keeps answering with exact figures.  Before the limits, 1,025
copies of 2^53 - 1 calls wrapped the project total to -2, two such
requests made /metrics answer 503 for good, and total_ms of 1e308 twice
stored +Inf."""
import math
import os

import harness
from harness import check

MAX = 2 ** 53 - 1


def refused(srv, db, payload, key, field):
    before = harness.snapshot(db)
    status, body = srv.ingest(payload, key)
    check(status == 422 and body.get("field") == field and "error" in body,
          "%r...: %d %r, wanted 422 on %s" % (repr(payload)[:80], status, body, field))
    check(harness.snapshot(db) == before, "a refused request changed the database")


def metrics_ok(srv, want_line):
    status, body, _ = srv.request("/metrics")
    check(status == 200, "/metrics answered %d" % status)
    check(want_line in body.decode(), "missing %r in /metrics" % want_line)


def test(tmp):
    db = harness.new_db(tmp, "c.db")
    key = harness.key_create(db, "big")
    with harness.Collector(db) as srv:
        fn = {"name": "hot.loop", "calls": MAX}
        refused(srv, db, {"functions": [fn] * 1025}, key, "calls")
        refused(srv, db, {"functions": [fn, {"name": "other", "calls": 1}]}, key, "calls")
        status, _ = srv.ingest({"functions": [dict(fn, errors=5)]}, key)
        check(status == 200, "exactly 2^53 - 1 calls: %d" % status)
        refused(srv, db, {"functions": [{"name": "hot.loop", "calls": 1}]}, key, "calls")
        refused(srv, db, {"functions": [{"name": "new.fn", "calls": 1}]}, key, "calls")
        metrics_ok(srv, 'codensm_calls_total{project="big",function="hot.loop",'
                        'department="unassigned"} %d' % MAX)
        report = srv.get_json("/api/report?project=big&since=all")
        check(report["totals"]["calls"] == MAX, "report totals %r" % report["totals"]["calls"])

        # total_ms: 1e308 is beyond the per-element limit; 6e17 twice passes it in sum.
        key2 = harness.key_create(db, "slow")
        status, body = srv.ingest({"functions": [{"name": "s", "calls": 1, "total_ms": 1e308}]}, key2)
        check(status == 400 and body.get("field") == "total_ms", "1e308 ms: %d %r" % (status, body))
        status, _ = srv.ingest({"functions": [{"name": "s", "calls": 1, "total_ms": 6e17}]}, key2)
        check(status == 200, "6e17 ms: %d" % status)
        refused(srv, db, {"functions": [{"name": "s", "calls": 1, "total_ms": 6e17}]}, key2, "total_ms")
        metrics_ok(srv, 'codensm_seconds_total{project="slow",function="s",'
                        'department="unassigned"} 600000000000000')
        # Another project has its own room.
        key3 = harness.key_create(db, "other")
        status, _ = srv.ingest({"functions": [{"name": "x", "calls": MAX}]}, key3)
        check(status == 200, "a second project: %d" % status)
    for calls, errors, ms in harness.query(db, "SELECT calls, errors, total_ms FROM counts"):
        check(0 <= errors <= calls <= MAX and math.isfinite(ms), "stored %r" % ((calls, errors, ms),))


if __name__ == "__main__":
    harness.main(test)
