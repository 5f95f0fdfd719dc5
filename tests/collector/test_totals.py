# SPDX-License-Identifier: Apache-2.0
"""test_totals.py - the running sums of schema 7 stay equal to the rows.

/metrics reads every function's all-time calls, errors and time from
functions.all_*, which ingest and retention keep beside the rows of
counts, and its latency quantiles from hist_totals plus the rows of hist
not folded into it yet: since schema 8 the collector folds each minute's
rows into hist_totals once the minute has closed, and keeps a fold mark
per project (hist_folded) with hist_totals = the sums of the rows behind
it.  The report's versions and instances come from the table labels.
After each step - batches under two labels with repeated names,
histograms and fractional times, a repeat under its Idempotency-Key, an
announcement under a third label (no counts, so no label), rows moved
ten days back and folded by the running collector within seconds, new
ones sent, ingest from four threads while /metrics is read and a
backlog folded, minutes folded into hours, the old days dropped, rows
dropped before they were folded, a schema-7 database migrated and sent
to in the minute its mark starts after, a batch behind the fold mark,
and a schema-6 database migrated - the sums equal the rows' (calls,
errors and the histogram counts behind the mark exactly, time to
1e-12) and the labels the distinct labels of counts, and /metrics
equals the report of all time computed from the rows.  Runs on SQLite,
and on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import math
import re
import sqlite3
import threading
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
    # hist_totals holds exactly the rows behind each project's fold mark
    # (none: no row folded); a sum below zero is a drop taken off twice.
    kept = {(p, n, b): v for p, n, b, v in harness.query(
        db, "SELECT project, name, hbucket, calls FROM hist_totals WHERE calls <> 0")}
    rows = {(p, n, b): v for p, n, b, v in harness.query(
        db, "SELECT h.project, h.name, h.hbucket, SUM(h.calls) FROM hist h"
            " JOIN hist_folded f ON f.project = h.project AND h.bucket < f.bucket"
            " GROUP BY h.project, h.name, h.hbucket")}
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


def atomically(db, statements):
    """Runs statements in one transaction (a running collector's fold
    sees all of them or none)."""
    if harness.is_pg(db):
        harness.query(db, "; ".join(statements))
        return
    con = sqlite3.connect(db, timeout=30)
    try:
        con.executescript("BEGIN IMMEDIATE; %s; COMMIT;" % "; ".join(statements))
    finally:
        con.close()


def move_back(db, seconds):
    """Every row and fold mark as if `seconds` earlier: the sums stay, and
    the rows not folded yet are still not."""
    atomically(db, ["UPDATE %s SET bucket = bucket - %d" % (t, seconds)
                    for t in ("counts", "hist", "callers", "causes", "hist_folded")])


def unfolded(db):
    """How many rows of hist are not folded into hist_totals yet."""
    return harness.query(db, "SELECT COUNT(*) FROM hist h WHERE h.bucket >= COALESCE("
                             "(SELECT bucket FROM hist_folded f WHERE f.project = h.project), 0)")[0][0]


def mark(db):
    rows = harness.query(db, "SELECT bucket FROM hist_folded WHERE project = 'shop'")
    return rows[0][0] if rows else None


def minute_now():
    now = int(time.time())
    return now - now % 60


def wait_folded(db, what):
    """The running collector folds every minute that closed within
    seconds (every 5 s, hist_totals.h)."""
    upto = minute_now()
    check(harness.wait_for(lambda: (mark(db) or 0) >= upto, 20),
          "%s: the minutes before %d not folded in 20 s (mark %r)" % (what, upto, mark(db)))


def early_in_a_minute(seconds=45):
    """Waits, if needed, until the minute has at least `seconds` left: what
    is sent next and read stays in the minute, not folded."""
    if time.time() % 60 > 60 - seconds:
        time.sleep(61 - time.time() % 60)


def concurrent_ingest(srv, key):
    """Four threads send histograms while /metrics is read; every answer
    200, every function's calls never going down between two reads."""
    errors, done = [], threading.Event()

    def sender(t):
        for i in range(8):
            fns = [{"name": "shop.conc%d" % (k % 7), "calls": 3, "total_ms": 0.5,
                    "hist": [[600 + k % 5, 1], [700, 2]]} for k in range(t, t + 40)]
            status, doc = srv.ingest({"functions": fns}, key,
                                     extra_headers={"X-CodeNSM-Instance": "web-%d" % t})
            if status != 200:
                errors.append((status, doc))
    threads = [threading.Thread(target=sender, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    seen = {}

    def reader():
        while not done.is_set():
            status, body, _ = srv.request("/metrics")
            if status != 200:
                errors.append(("/metrics", status))
                return
            for name, v in re.findall(r'^codensm_calls_total\{[^}]*function="([^"]+)"[^}]*\} (\S+)$',
                                      body.decode(), re.M):
                if int(v) < seen.get(name, 0):
                    errors.append(("calls went down", name, seen[name], v))
                seen[name] = int(v)
    rd = threading.Thread(target=reader)
    rd.start()
    for th in threads:
        th.join()
    done.set()
    rd.join()
    check(not errors, "concurrent ingest and reads: %r" % errors[:5])


def test(tmp):
    db, key = harness.shop_database(tmp)
    now = int(time.time())
    with harness.Collector(db) as srv:
        step(srv, db, "empty")
        early_in_a_minute()
        first = send(srv, key, BATCH_A, "1.0", "web-1", idem="totals-batch-a-000001")
        send(srv, key, BATCH_B, "2.0", "web-2")
        step(srv, db, "after ingest")
        check(unfolded(db) > 0, "ingest wrote its minute's histograms into hist_totals")
        again = send(srv, key, BATCH_A, "1.0", "web-1", idem="totals-batch-a-000001")
        check(again.get("duplicate") is True and again["accepted"] == first["accepted"],
              "a repeat stored nothing: %r" % again)
        send(srv, key, [{"name": "shop.later", "calls": 0}], "3.0", "web-3")
        step(srv, db, "after a repeat and an announcement")
        check(("shop", "3.0", "web-3") not in harness.query(db, "SELECT * FROM labels"),
              "a batch without counts adds no label")
        move_back(db, 10 * DAY)
        wait_folded(db, "rows ten days back")
        step(srv, db, "rows ten days back, folded")
        send(srv, key, BATCH_C, "2.0", "web-2")
        step(srv, db, "rows ten days back and new ones")
        # A backlog to fold (the last two minutes, as after a stop) while
        # four threads send and /metrics is read.
        move_back(db, 120)
        concurrent_ingest(srv, key)
        step(srv, db, "after concurrent ingest, reads and folds")
        wait_folded(db, "the backlog")
        step(srv, db, "the backlog folded")
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
    labels = harness.query(db, "SELECT DISTINCT version FROM labels WHERE version <> ''",
                           text=True)
    check(labels == [("2.0",)],
          "the labels of dropped rows only are gone: %r" % labels)
    pay = harness.query(db, "SELECT all_calls FROM functions WHERE name = 'shop.pay'")
    check(pay == [(0,)], "shop.pay's dropped calls left its sum: %r" % pay)
    with harness.Collector(db) as srv:
        step(srv, db, "after the drop")
        early_in_a_minute()
        send(srv, key, BATCH_A, "1.0", "web-1")
        step(srv, db, "ingest after the drop")
    # Rows dropped before they were folded: a drop of everything older
    # than 30 s, as of 50 s into the minute just sent to, takes off
    # hist_totals only what was folded into it.
    sent = harness.query(db, "SELECT MAX(bucket) FROM hist")[0][0]
    check(sent >= (mark(db) or 0), "the minute just sent to is not folded yet")
    harness.cli("compact", "--db", db, "--now", str(sent + 50), "--retain-minutes", "all",
                "--retain-hours", "all", "--retain-days", "30s")
    check(harness.query(db, "SELECT COUNT(*) FROM hist") == [(0,)], "every row was dropped")
    with harness.Collector(db) as srv:
        step(srv, db, "after dropping rows not folded")
        early_in_a_minute()
        send(srv, key, BATCH_A, "1.0", "web-1")
        send(srv, key, BATCH_B, "2.0", "web-2")
        step(srv, db, "ingest after dropping rows not folded")
    # A database of schema 7 (every row summed in hist_totals, no fold
    # mark): the mark starts after its newest minute, and a batch sent in
    # that minute still reaches /metrics.
    atomically(db, ["DELETE FROM hist_totals",
                    "INSERT INTO hist_totals SELECT project, name, hbucket, SUM(calls * 1.0)"
                    " FROM hist GROUP BY project, name, hbucket",
                    "DROP TABLE hist_folded"])
    set_version(db, 7)
    with harness.Collector(db) as srv:
        step(srv, db, "after migrating from schema 7")
        newest = harness.query(db, "SELECT MAX(bucket) FROM hist")[0][0]
        check(mark(db) == newest + 60, "schema 7's rows are folded: mark %r, newest minute %r"
              % (mark(db), newest))
        send(srv, key, BATCH_C, "2.0", "web-2")
        step(srv, db, "ingest in the minute of the migration")
    # A batch behind the fold mark (a clock set back, or another
    # replica's ahead: here a compact two hours ahead folded up to then)
    # adds its pairs to hist_totals itself.
    harness.cli("compact", "--db", db, "--now", str(int(time.time()) + 7200),
                "--retain-minutes", "all", "--retain-hours", "all", "--retain-days", "all")
    check(unfolded(db) == 0 and mark(db) > time.time() + 3600,
          "a compact two hours ahead folded everything: mark %r" % mark(db))
    with harness.Collector(db) as srv:
        send(srv, key, BATCH_A, "1.0", "web-1", idem="totals-behind-mark-0001")
        step(srv, db, "ingest behind the fold mark")
        again = send(srv, key, BATCH_A, "1.0", "web-1", idem="totals-behind-mark-0001")
        check(again.get("duplicate") is True, "a repeat behind the mark: %r" % again)
        step(srv, db, "a repeat behind the fold mark")
    check(unfolded(db) == 0, "the batch behind the mark is all in hist_totals")
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
    harness.query(db, "DROP TABLE hist_folded")
    set_version(db, 6)
    with harness.Collector(db) as srv:
        step(srv, db, "after migrating from schema 6")
        send(srv, key, BATCH_B, "2.0", "web-2")
        step(srv, db, "ingest after migrating from schema 6")


def set_version(db, version):
    if harness.is_pg(db):
        harness.query(db, "UPDATE codensm_schema SET version = %d" % version)
    else:
        harness.query(db, "PRAGMA user_version = %d" % version)


if __name__ == "__main__":
    harness.main(test)
