# SPDX-License-Identifier: Apache-2.0
"""test_totals.py - the running sums of schema 7 stay equal to the rows.

/metrics reads every function's all-time calls, errors and time from
functions.all_*, and its latency quantiles from hist_totals, which ingest
and retention keep beside the rows of counts and hist; the report's
versions and instances come from the table labels.  After each step -
batches under two labels with repeated names, histograms and fractional
times, a repeat under its Idempotency-Key, an announcement under a third
label (no counts, so no label), rows moved ten days back and new ones
sent, minutes folded into hours, the old days dropped, and a schema-6
database migrated - the sums equal the rows' (calls, errors and histogram
counts exactly, time to 1e-12) and the labels the distinct labels of
counts, and /metrics equals the report of all time computed from the
rows.  Runs on SQLite, and on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import math
import re
import time

import harness
from harness import check

DAY = 86400


def drift(db):
    """Where the running sums and the rows' sums differ (empty: nowhere)."""
    bad = []
    for p, n, c, e, t, rc, re_, rt in harness.query(
            db, "SELECT f.project, f.name, f.all_calls, f.all_errors, f.all_total_ms,"
                " COALESCE(SUM(c.calls), 0), COALESCE(SUM(c.errors), 0),"
                " COALESCE(SUM(c.total_ms), 0) FROM functions f LEFT JOIN counts c"
                " ON c.project = f.project AND c.name = f.name"
                " GROUP BY f.project, f.name, f.all_calls, f.all_errors, f.all_total_ms"):
        if (c, e) != (rc, re_) or not math.isclose(t, rt, rel_tol=1e-12, abs_tol=1e-9):
            bad.append(("functions", n, (c, e, t), (rc, re_, rt)))
    kept = {(p, n, b): v for p, n, b, v in harness.query(
        db, "SELECT project, name, hbucket, calls FROM hist_totals WHERE calls > 0")}
    rows = {(p, n, b): v for p, n, b, v in harness.query(
        db, "SELECT project, name, hbucket, SUM(calls) FROM hist GROUP BY project, name, hbucket")}
    if kept != rows:
        bad.append(("hist_totals", kept, rows))
    labels = set(harness.query(db, "SELECT project, version, instance FROM labels", text=True))
    distinct = set(harness.query(db, "SELECT DISTINCT project, version, instance FROM counts",
                                 text=True))
    if labels != distinct:
        bad.append(("labels", labels, distinct))
    return bad


def metrics_match_rows(srv, db, what):
    """/metrics (running sums) against report --since all (the rows)."""
    _, body, _ = srv.request("/metrics")
    text = body.decode()
    doc = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json"))
    fns = {f["name"]: f for f in doc["projects"][0]["functions"]}
    series = dict(re.findall(r'^(codensm_\w+\{[^}]*\}) (\S+)$', text, re.M))
    for name, f in fns.items():
        labels = 'project="shop",function="%s",department="%s"' % (name, f["department"])
        if f["calls"] == 0:
            check("codensm_calls_total{%s}" % labels not in series, "%s: %s listed" % (what, name))
            continue
        got = (int(series["codensm_calls_total{%s}" % labels]),
               int(series["codensm_errors_total{%s}" % labels]),
               float(series["codensm_seconds_total{%s}" % labels]))
        check(got[:2] == (f["calls"], f["errors"]) and
              math.isclose(got[2], f["total_ms"] / 1000, rel_tol=1e-12),
              "%s: %s /metrics %r, rows %r" % (what, name, got, f))
        for q, key in (("0.5", "p50_ms"), ("0.95", "p95_ms"), ("0.99", "p99_ms")):
            s = 'codensm_function_latency_seconds{%s,quantile="%s"}' % (labels, q)
            want = None if f[key] is None else f[key] / 1000
            have = float(series[s]) if s in series else None
            check(have == want or (have and want and math.isclose(have, want, rel_tol=1e-12)),
                  "%s: %s quantile %s %r, rows %r" % (what, name, q, have, want))
    nsm = float(series['codensm_value_delivered{project="shop"}'])
    check(math.isclose(nsm, doc["projects"][0]["nsm"]["value"], rel_tol=1e-12, abs_tol=1e-9),
          "%s: NSM %r" % (what, nsm))


def step(srv, db, what):
    bad = drift(db)
    check(not bad, "%s: running sums drifted: %r" % (what, bad))
    metrics_match_rows(srv, db, what)


def send(srv, key, functions, version, instance, idem=None):
    headers = {"X-CodeNSM-Version": version, "X-CodeNSM-Instance": instance}
    if idem:
        headers["Idempotency-Key"] = idem
    status, doc = srv.ingest({"functions": functions}, key, extra_headers=headers)
    check(status == 200, "ingest %d %r" % (status, doc))
    return doc


BATCH_A = [
    {"name": "shop.pay", "department": "billing", "value_weight": 2.5, "calls": 7, "errors": 1,
     "total_ms": 0.1, "hist": [[600, 5], [640, 2]]},
    {"name": "shop.cart", "calls": 3, "total_ms": 0.2, "hist": [[500, 3]]},
    {"name": "shop.pay", "calls": 4, "errors": 2, "total_ms": 0.7, "hist": [[600, 4]]},
    {"name": "shop.idle", "calls": 0},
]
BATCH_B = [
    {"name": "shop.pay", "calls": 11, "total_ms": 1.3, "hist": [[700, 11]]},
    {"name": "shop.cart", "calls": 5, "errors": 5, "total_ms": 2.9},
]
BATCH_C = [
    {"name": "shop.cart", "calls": 13, "errors": 1, "total_ms": 0.3, "hist": [[500, 13]]},
    {"name": "shop.new", "calls": 2, "total_ms": 0.05},
]


def move_back(db, seconds):
    """Every row as if ingested `seconds` earlier: the sums stay."""
    for table in ("counts", "hist", "callers", "causes"):
        harness.query(db, "UPDATE %s SET bucket = bucket - ?" % table, (seconds,))


def test(tmp):
    db, key = harness.shop_database(tmp)
    now = int(time.time())
    with harness.Collector(db) as srv:
        step(srv, db, "empty")
        first = send(srv, key, BATCH_A, "1.0", "web-1", idem="totals-batch-a-000001")
        send(srv, key, BATCH_B, "2.0", "web-2")
        step(srv, db, "after ingest")
        again = send(srv, key, BATCH_A, "1.0", "web-1", idem="totals-batch-a-000001")
        check(again.get("duplicate") is True and again["accepted"] == first["accepted"],
              "a repeat stored nothing: %r" % again)
        send(srv, key, [{"name": "shop.later", "calls": 0}], "3.0", "web-3")
        step(srv, db, "after a repeat and an announcement")
        check(("shop", "3.0", "web-3") not in harness.query(db, "SELECT * FROM labels"),
              "a batch without counts adds no label")
        move_back(db, 10 * DAY)
        send(srv, key, BATCH_C, "2.0", "web-2")
        step(srv, db, "rows ten days back and new ones")
    before = harness.query(db, "SELECT name, all_calls, all_errors FROM functions ORDER BY name")
    out = harness.cli("compact", "--db", db, "--now", str(now), "--retain-minutes", "1h",
                      "--retain-hours", "90d")
    check("rolled into hours" in out, "compact said %r" % out)
    check(harness.query(db, "SELECT name, all_calls, all_errors FROM functions ORDER BY name")
          == before, "folding changes no running sum")
    with harness.Collector(db) as srv:
        step(srv, db, "after folding into hours")
    harness.cli("compact", "--db", db, "--now", str(now), "--retain-minutes", "1h",
                "--retain-hours", "2d", "--retain-days", "5d")
    check(harness.query(db, "SELECT COUNT(*) FROM counts WHERE bucket < ?", (now - 5 * DAY,))
          == [(0,)], "the old days were dropped")
    labels = harness.query(db, "SELECT version FROM labels", text=True)
    check(labels == [("2.0",)], "the labels of dropped rows only are gone: %r" % labels)
    pay = harness.query(db, "SELECT all_calls FROM functions WHERE name = 'shop.pay'")
    check(pay == [(0,)], "shop.pay's dropped calls left its sum: %r" % pay)
    with harness.Collector(db) as srv:
        step(srv, db, "after the drop")
        send(srv, key, BATCH_A, "1.0", "web-1")
        step(srv, db, "ingest after the drop")
    # A database of schema 6: the running sums and labels are filled from
    # the rows when it is opened.
    harness.query(db, "UPDATE functions SET all_calls = 0, all_errors = 0, all_total_ms = 0")
    harness.query(db, "DELETE FROM hist_totals")
    harness.query(db, "DELETE FROM labels")
    harness.query(db, "ALTER TABLE functions DROP COLUMN all_calls")
    harness.query(db, "ALTER TABLE functions DROP COLUMN all_errors")
    harness.query(db, "ALTER TABLE functions DROP COLUMN all_total_ms")
    harness.query(db, "DROP TABLE hist_totals")
    harness.query(db, "DROP TABLE labels")
    if harness.is_pg(db):
        harness.query(db, "UPDATE codensm_schema SET version = 6")
    else:
        harness.query(db, "PRAGMA user_version = 6")
    with harness.Collector(db) as srv:
        step(srv, db, "after migrating from schema 6")


if __name__ == "__main__":
    harness.main(test)
