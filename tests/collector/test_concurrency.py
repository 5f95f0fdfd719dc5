# SPDX-License-Identifier: Apache-2.0
"""test_concurrency.py - 16 concurrent clients x 200 requests each, over
keep-alive HTTP connections; the stored totals must be exactly the sums
of what was acknowledged, in the database and in the report."""
import http.client
import json
import os
import threading

import harness
from harness import check

CLIENTS, REQUESTS = 16, 200


def delta(client, i):
    """What client sends in its i-th request (exact binary fractions)."""
    return {"functions": [
        {"name": "shared.hot", "department": "core", "value_weight": 2,
         "calls": i % 7 + 1, "errors": 1 if i % 5 == 0 else 0, "total_ms": 0.25 * (i % 4)},
        {"name": "client%02d.own" % client, "department": "edge", "value_weight": 1,
         "calls": 1, "errors": 0, "total_ms": 0.5},
        {"name": "shared.never", "calls": 0},
    ]}


def sender(port, key, client, results):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    ok = 0
    try:
        for i in range(REQUESTS):
            body = json.dumps(delta(client, i))
            conn.request("POST", "/codensm/ingest", body, {
                "Authorization": "Bearer " + key, "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status == 200:
                ok += 1
    finally:
        conn.close()
        results[client] = ok


def test(tmp):
    db = harness.new_db(tmp, "c.db")
    key = harness.key_create(db, "load")
    results = [0] * CLIENTS
    with harness.Collector(db) as srv:
        threads = [threading.Thread(target=sender, args=(srv.port, key, c, results))
                   for c in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        check(all(not t.is_alive() for t in threads), "senders did not finish")
        check(results == [REQUESTS] * CLIENTS, "acknowledged: %r" % results)
        report = srv.get_json("/api/report?project=load&since=1h&limit=0")

    hot_calls = CLIENTS * sum(i % 7 + 1 for i in range(REQUESTS))
    hot_errors = CLIENTS * sum(1 for i in range(REQUESTS) if i % 5 == 0)
    hot_ms = CLIENTS * sum(0.25 * (i % 4) for i in range(REQUESTS))
    t = harness.totals(db, "load")
    check(t["shared.hot"] == (hot_calls, hot_errors, hot_ms),
          "shared.hot %r != %r" % (t["shared.hot"], (hot_calls, hot_errors, hot_ms)))
    for c in range(CLIENTS):
        check(t["client%02d.own" % c] == (REQUESTS, 0, REQUESTS * 0.5), "client %d" % c)
    check("shared.never" not in t, "zero deltas create no counts")
    fns = {f["name"]: f for f in report["functions"]}
    check(len(fns) == CLIENTS + 2, "functions known: %d" % len(fns))
    check(fns["shared.hot"]["calls"] == hot_calls and fns["shared.hot"]["errors"] == hot_errors,
          "report totals")
    check(report["nsm"]["value"] == 2 * (hot_calls - hot_errors) + CLIENTS * REQUESTS,
          "NSM %r" % report["nsm"]["value"])
    log = srv.logtext()
    check(log.count("POST /codensm/ingest 200") == CLIENTS * REQUESTS, "one log line per request")


if __name__ == "__main__":
    harness.main(test)
