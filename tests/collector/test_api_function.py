# SPDX-License-Identifier: Apache-2.0
"""test_api_function.py - GET /api/function (docs/collector.md, "HTTP
endpoints"): one function over a window and its series, over real HTTP.
Counts and histograms are sent over HTTP (two batches, one under a
version) and older minutes are written straight into the database; every
figure is then recomputed here from those records and the formulas of
docs/metrics.md and the bucket formula of docs/ingest-contract.md, and
must match exactly: sums, error rate, mean, contribution, debt, p50, p95,
p99 (including histogram rows older than the first count, for all time),
file and line, and the series - as many steps as the North-Star trend,
each with its calls, errors, time, mean and p95 - for 24h, 1h and all
time and the version and instance filters.  The same figures as the
function's object in /api/report.  A name with spaces, + & % / < >; 400
without a name, with a bad window or label, or without a project among
several; 404 for an unknown function or project; read tokens guard it.
Runs on SQLite, and on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import urllib.parse

import harness
from harness import check
from test_extensions import bucket_of, bucket_mid_ms, percentile_ms

A = bucket_of(20000)      # about 20 us
B = bucket_of(200000)     # about 200 us
C = bucket_of(5000000)    # about 5 ms
NEEDLE = "shop.needle"
ODD = "ns::op<a&b> +1%/x"
TOKEN = "function-page-read-token-0123"
SHARED = ("name", "department", "value_weight", "calls", "errors", "error_rate", "total_ms",
          "mean_ms", "contribution", "reliability", "debt", "p50_ms", "p95_ms", "p99_ms",
          "file", "line")


def bucket_row(db, version):
    """The minute bucket ingest stored the needle's batch of version in."""
    rows = harness.query(db, "SELECT bucket FROM counts WHERE name = ? AND version = ?",
                         (NEEDLE, version))
    check(len(rows) == 1, "one bucket for version %r: %r" % (version, rows))
    return int(rows[0][0])


def window(to, since):
    """from, step and points of docs/metrics.md's window and trend."""
    last = to - to % 60
    start = to - since
    start -= start % 60
    minutes = (last - start) // 60 + 1
    step = 60 * -(-minutes // 60)
    return start, step, (last - start) // step + 1


def matching(records, version, instance):
    """The records (bucket, version, calls, errors, total_ms, {latency
    bucket: count}) under the labels asked for (None: every value); all
    were stored without an instance."""
    return [r for r in records if (version is None or r[1] == version) and instance in (None, "")]


def hist_sum(rows):
    out = {}
    for r in rows:
        for b, n in r[5].items():
            out[b] = out.get(b, 0) + n
    return out


def check_answer(doc, records, since, version=None, instance=None, all_time_from=None):
    to = doc["window"]["to"]
    if since:
        start, step, npoints = window(to, since)
    else:
        start = all_time_from
        last = to - to % 60
        minutes = (last - start) // 60 + 1
        step = 60 * -(-minutes // 60)
        npoints = (last - start) // step + 1
    check(doc["window"] == {"since_s": since, "until_s": 0, "from": start, "to": to, "step_s": step},
          "window %r, wanted from %d step %d" % (doc["window"], start, step))
    keep = matching(records, version, instance)
    in_window = [r for r in keep if r[0] >= start]
    calls, errors = sum(r[2] for r in in_window), sum(r[3] for r in in_window)
    total = sum(r[4] for r in in_window)
    # For all time, also the histogram rows older than the first count.
    hist = hist_sum(keep if not since else in_window)
    rate = errors / calls if calls else 0
    contribution = 2 * float(calls - errors)
    want = {"name": NEEDLE, "department": "search", "value_weight": 2, "calls": calls,
            "errors": errors, "error_rate": rate, "total_ms": total,
            "mean_ms": total / calls if calls else 0, "contribution": contribution,
            "reliability": 1 - rate, "debt": rate * contribution,
            "p50_ms": percentile_ms(hist, 50), "p95_ms": percentile_ms(hist, 95),
            "p99_ms": percentile_ms(hist, 99), "file": "src/needle.c", "line": 42,
            "project": "shop", "labels": {"version": version, "instance": instance}}
    got = {k: doc[k] for k in want}
    check(got == want, "since %r version %r instance %r:\n got  %r\n want %r" % (
        since, version, instance, got, want))
    for k in ("utilisation", "speed", "oee", "use"):
        check(k not in doc, "%s needs the whole project: %r" % (k, doc))
    series = []
    for i in range(npoints):
        rows = [r for r in in_window if (r[0] - start) // step == i]
        c, e, t = sum(r[2] for r in rows), sum(r[3] for r in rows), sum(r[4] for r in rows)
        series.append({"t": start + i * step, "calls": c, "errors": e, "total_ms": t,
                       "mean_ms": t / c if c else None,
                       "p95_ms": percentile_ms(hist_sum(rows), 95)})
    check(doc["series"] == series, "series (%d points, step %d):\n got  %r\n want %r" % (
        npoints, step, [p for p in doc["series"] if p["calls"]],
        [p for p in series if p["calls"]]))
    return series


def same_as_report(srv, doc, query):
    """The function's figures equal its object in /api/report."""
    r = srv.get_json("/api/report?limit=0&" + query)
    f = next(f for f in r["functions"] if f["name"] == NEEDLE)
    check({k: f[k] for k in SHARED} == {k: doc[k] for k in SHARED},
          "/api/report disagrees (%s):\n report   %r\n function %r" % (query, f, doc))
    check(r["window"]["from"] == doc["window"]["from"] and
          r["window"]["step_s"] == doc["window"]["step_s"] and
          len(r["nsm"]["trend"]) == len(doc["series"]), "the NSM trend's steps (%s)" % query)


def get(srv, query, status=200, headers=None):
    code, body, hdrs = srv.request("/api/function?" + query, headers=headers)
    check(code == status, "GET /api/function?%s: %d %r (wanted %d)" % (query, code, body[:300],
                                                                       status))
    return json.loads(body), hdrs


def test(tmp):
    db = harness.new_db(tmp, "fn.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        status, reply = srv.ingest({"functions": [
            {"name": NEEDLE, "department": "search", "value_weight": 2, "calls": 100,
             "errors": 5, "total_ms": 3.5, "hist": [[A, 90], [B, 10]],
             "file": "src/needle.c", "line": 42},
            {"name": "shop.other", "calls": 3, "total_ms": 1},
            {"name": ODD, "department": "odd", "calls": 1, "total_ms": 0.5, "hist": [[C, 1]]}]},
            key)
        check(status == 200, "ingest %d %r" % (status, reply))
        status, reply = srv.ingest({"functions": [
            {"name": NEEDLE, "department": "search", "value_weight": 2, "calls": 10,
             "total_ms": 0.25, "hist": [[A, 10]]}]}, key,
            extra_headers={"X-CodeNSM-Version": "2.0"})
        check(status == 200, "ingest 2.0 %d %r" % (status, reply))
        now_bucket = bucket_row(db, "")
        v2_bucket = bucket_row(db, "2.0")
        older = now_bucket - 7200       # two hours ago: in 24h, not in 1h
        oldest = now_bucket - 3 * 86400  # histogram only: in "all" percentiles
        harness.query(db, "INSERT INTO counts(project, name, bucket, version, instance, calls,"
                          " errors, total_ms) VALUES('shop', ?, ?, '', '', 7, 1, 0.75)",
                      (NEEDLE, older))
        for bucket, hb, n in ((older, B, 7), (oldest, C, 200)):
            harness.query(db, "INSERT INTO hist(project, name, bucket, version, instance,"
                              " hbucket, calls) VALUES('shop', ?, ?, '', '', ?, ?)",
                          (NEEDLE, bucket, hb, n))
        records = [(now_bucket, "", 100, 5, 3.5, {A: 90, B: 10}),
                   (v2_bucket, "2.0", 10, 0, 0.25, {A: 10}),
                   (older, "", 7, 1, 0.75, {B: 7}),
                   (oldest, "", 0, 0, 0.0, {C: 200})]
        q = "name=" + NEEDLE

        doc, _ = get(srv, q)  # default: 24h, every label
        series = check_answer(doc, records, 86400)
        check(len(series) == 58 and doc["window"]["step_s"] == 1500, "24h: 58 steps of 25 min")
        check(doc["p50_ms"] == bucket_mid_ms(A) and doc["p95_ms"] == bucket_mid_ms(B) and
              doc["calls"] == 117 and doc["total_ms"] == 4.5, "24h figures: %r" % doc)
        same_as_report(srv, doc, "since=24h")

        doc, _ = get(srv, q + "&since=1h")
        check_answer(doc, records, 3600)
        check(doc["calls"] == 110 and len(doc["series"]) == 31, "1h: %r" % doc["calls"])
        same_as_report(srv, doc, "since=1h")

        doc, _ = get(srv, q + "&since=all")
        check_answer(doc, records, 0, all_time_from=older)
        check(doc["p50_ms"] == bucket_mid_ms(C), "all time counts the oldest histogram rows")
        same_as_report(srv, doc, "since=all")

        doc, _ = get(srv, q + "&version=2.0")
        check_answer(doc, records, 86400, version="2.0")
        check(doc["calls"] == 10 and doc["p95_ms"] == bucket_mid_ms(A), "2.0: %r" % doc)
        same_as_report(srv, doc, "since=24h&version=2.0")
        doc, _ = get(srv, q + "&version=")
        check_answer(doc, records, 86400, version="")
        same_as_report(srv, doc, "since=24h&version=")
        doc, _ = get(srv, q + "&version=2.0&instance=web-1")
        check(doc["calls"] == 0 and doc["p95_ms"] is None and doc["mean_ms"] == 0 and
              all(p["calls"] == 0 and p["p95_ms"] is None and p["mean_ms"] is None
                  for p in doc["series"]), "no counts under that instance: %r" % doc)

        # Names travel percent-encoded; + is a space in a query string.
        doc, _ = get(srv, "since=1h&name=" + urllib.parse.quote(ODD, safe=""))
        check((doc["name"], doc["department"], doc["calls"], doc["p95_ms"], doc["file"],
               doc["line"]) == (ODD, "odd", 1, bucket_mid_ms(C), None, None), "odd: %r" % doc)
        doc, _ = get(srv, "name=" + urllib.parse.quote_plus(ODD))
        check(doc["name"] == ODD, "quote_plus: %r" % doc["name"])

        # Refusals.
        for query, status, error in (
                ("", 400, "name is required: ?name=FUNCTION"),
                ("name=", 400, "name is required: ?name=FUNCTION"),
                ("name=shop.nope", 404, "no such function"),
                ("name=shop.needl", 404, "no such function"),
                (q + "&project=nope", 404, "no such project"),
                (q + "&since=5x", 400, "since must look like 15m, 24h, 7d or all"),
                (q + "&version=a%20b", 400, "version and instance must be at most 128"
                                            " characters of visible ASCII (! to ~)")):
            doc, hdrs = get(srv, query, status)
            check(doc == {"error": error} and hdrs.get("Content-Type") == "application/json",
                  "%r: %r" % (query, doc))
        check("GET /api/function 404" in srv.logtext(), "the request log")

        # A second project: the first must be named.
        other = harness.key_create(db, "other")
        status, _ = srv.ingest({"functions": [{"name": NEEDLE, "calls": 1}]}, other)
        check(status == 200, "ingest other")
        doc, _ = get(srv, q, 400)
        check(doc == {"error": "several projects: pass ?project=NAME"}, "several: %r" % doc)
        doc, _ = get(srv, q + "&project=shop&since=1h")
        check(doc["calls"] == 110 and doc["project"] == "shop", "shop named: %r" % doc)
        doc, _ = get(srv, q + "&project=other&since=1h")
        check((doc["project"], doc["calls"], doc["department"]) == ("other", 1, "unassigned"),
              "other: %r" % doc)

    # Read tokens guard it like every /api/ path.
    with harness.Collector(db, ["--read-token", TOKEN]) as srv:
        q = "project=shop&since=1h&name=" + NEEDLE
        doc, hdrs = get(srv, q, 401)
        check(hdrs.get("WWW-Authenticate") == 'Bearer realm="codensm"', "401: %r" % dict(hdrs))
        doc, hdrs = get(srv, q, 401, {"Authorization": "Bearer wrong-token-0123456789"})
        check(doc == {"error": "invalid read token"} and "invalid_token" in
              hdrs.get("WWW-Authenticate", ""), "wrong token: %r" % doc)
        doc, _ = get(srv, "name=shop.nope", 401)  # nothing learnt without a token
        doc, _ = get(srv, q, 200, {"Authorization": "Bearer " + TOKEN})
        check(doc["calls"] == 110 and doc["p95_ms"] == bucket_mid_ms(B), "with token: %r" % doc)
        check(TOKEN not in srv.logtext(), "the token in the log")


if __name__ == "__main__":
    harness.main(test)
