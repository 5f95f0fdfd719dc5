# SPDX-License-Identifier: Apache-2.0
"""test_extensions.py - the ingest contract's extensions (histogram,
source; docs/ingest-contract.md, "Extensions") over real HTTP: every 200
of ingest says `X-CodeNSM-Extensions: histogram, source, callers, causes`, a duplicate's
too; `hist` counts are summed per function, minute, labels and latency
bucket, and `report --json` and /api/report give each function p50_ms,
p95_ms and p99_ms - the midpoint of the bucket where the cumulative count
first reaches the fraction, computed here from the contract's formula -
summed across batches and minutes, within the window and labels asked
for, null without counts; `file` and `line` are kept per function, the
last sent winning; every malformed extension field refuses the request
whole (400 with its index and field) and stores nothing; a batch resent
under its Idempotency-Key adds its histogram once; histogram rows
saturate instead of overflowing; retention rolls histogram rows up with
the counts and keeps every percentile of an old window; the table's P95
column and `--sort p50/p95/p99`; a report over 5,000 functions x 60
minutes of histograms stays fast; a schema-3 SQLite file migrates.  Runs
on SQLite, and on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import os
import sqlite3
import time

import harness
from harness import check

MAX = 2 ** 53 - 1
DAY = 86400


# The bucket scheme of docs/ingest-contract.md, "Histogram buckets",
# written from the text, not from include/codensm_hist.h.
def bucket_of(v):
    if v < 16:
        return v
    e = v.bit_length() - 1
    return (e - 3) * 16 + ((v >> (e - 4)) & 15)


def bucket_lower(i):
    if i < 16:
        return i
    e = i // 16 + 3
    return (16 + i % 16) << (e - 4)


def bucket_mid_ms(i):
    """The value that stands for bucket i (its midpoint), in ms."""
    if i < 16:
        return i / 1e6
    width = 1 << (i // 16 + 3 - 4)
    return (bucket_lower(i) + width / 2) / 1e6


def percentile_ms(hist, pct):
    """hist: {bucket: count}; the midpoint of the first bucket whose
    cumulative count reaches pct/100 of the total (integers: exact)."""
    total = sum(hist.values())
    if total == 0:
        return None
    cum = 0
    for b in sorted(hist):
        cum += hist[b]
        if cum * 100 >= pct * total:
            return bucket_mid_ms(b)


def expected(hist):
    return tuple(percentile_ms(hist, p) for p in (50, 95, 99))


def fmt_time(ms):
    """report.c's report_time: the table's unit formatting."""
    units = ["ns", "\u00b5s", "ms", "s"]
    v, u = ms * 1e6, 0
    while u < 3 and v >= 999.5:
        v, u = v / 1000, u + 1
    decimals = 0 if u == 0 or v >= 99.95 else 1 if v >= 9.995 else 2
    return "%.*f %s" % (decimals, v, units[u])


A = bucket_of(20000)    # 90 calls around 20 us
B = bucket_of(200000)   # 10 calls around 200 us


def post(srv, key, functions, headers=None):
    """POSTs functions; returns (status, reply, the reply's headers)."""
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    h.update(headers or {})
    status, body, hdrs = srv.request("/codensm/ingest",
                                     json.dumps({"functions": functions}).encode(), h, "POST")
    return status, json.loads(body), hdrs


def ok(srv, key, functions, headers=None):
    status, reply, hdrs = post(srv, key, functions, headers)
    check(status == 200, "ingest %d %r" % (status, reply))
    check(hdrs.get("X-CodeNSM-Extensions") == "histogram, source, callers, causes",
          "200 without the extensions header: %r" % dict(hdrs))
    return reply


def cli_functions(db, *args):
    doc = json.loads(harness.cli("report", "--db", db, "--json", *args))
    return {f["name"]: f for f in doc["projects"][0]["functions"]}


def pcts(f):
    return (f["p50_ms"], f["p95_ms"], f["p99_ms"])


def hist_rows(db):
    return harness.query(db, "SELECT COUNT(*), COALESCE(SUM(calls), 0) FROM hist")[0]


def test_percentiles(tmp):
    db = harness.new_db(tmp, "pct.db")
    key = harness.key_create(db, "shop")
    check(bucket_lower(A) <= 20000 < bucket_lower(A + 1) and bucket_of(bucket_lower(B)) == B,
          "the test's own bucket formula")
    now = int(time.time())
    with harness.Collector(db) as srv:
        # 90 in A and 10 in B, sent as two batches.
        ok(srv, key, [{"name": "shop.pay", "calls": 50, "total_ms": 3,
                       "hist": [[A, 45], [B, 5]]},
                      {"name": "shop.plain", "calls": 4, "total_ms": 1}])
        ok(srv, key, [{"name": "shop.pay", "calls": 50, "total_ms": 3,
                       "hist": [[A, 45], [B, 5]]},
                      {"name": "shop.old", "calls": 0}])
        want = expected({A: 90, B: 10})
        check(want == (bucket_mid_ms(A), bucket_mid_ms(B), bucket_mid_ms(B)), "expectation")
        fns = cli_functions(db, "--since", "1h")
        check(pcts(fns["shop.pay"]) == want, "CLI percentiles %r, wanted %r" % (
            pcts(fns["shop.pay"]), want))
        check(pcts(fns["shop.plain"]) == (None, None, None), "no hist: %r" % fns["shop.plain"])
        r = srv.get_json("/api/report?since=1h")
        api = {f["name"]: f for f in r["functions"]}
        check(pcts(api["shop.pay"]) == want, "API percentiles %r" % (pcts(api["shop.pay"]),))
        check(api["shop.plain"]["p95_ms"] is None and api["shop.plain"]["file"] is None
              and api["shop.plain"]["line"] is None, "API nulls %r" % api["shop.plain"])

        # Labels: their own rows, filtered like counts.
        ok(srv, key, [{"name": "shop.lab", "calls": 1, "hist": [[B, 1]]}],
           {"X-CodeNSM-Version": "2.0", "X-CodeNSM-Instance": "h1"})
        ok(srv, key, [{"name": "shop.lab", "calls": 3, "hist": [[A, 3]]}])
        check(pcts(cli_functions(db, "--since", "1h")["shop.lab"]) == expected({A: 3, B: 1}),
              "all labels")
        check(pcts(cli_functions(db, "--since", "1h", "--version", "2.0")["shop.lab"])
              == expected({B: 1}), "--version 2.0")
        check(pcts(cli_functions(db, "--since", "1h", "--version", "")["shop.lab"])
              == expected({A: 3}), "--version ''")
        check(pcts(cli_functions(db, "--since", "1h", "--instance", "h2")["shop.lab"])
              == (None, None, None), "--instance h2")
        r = srv.get_json("/api/report?since=1h&version=2.0&instance=h1")
        check(pcts([f for f in r["functions"] if f["name"] == "shop.lab"][0])
              == expected({B: 1}), "API label filter")

    # Older minutes, as if ingested then: shop.pay two hours ago, 80 in B
    # over two minutes; shop.old only then.
    old = now - now % 60 - 7200
    for bucket, name, hb, calls in ((old, "shop.pay", B, 30), (old + 60, "shop.pay", B, 50),
                                    (old, "shop.old", A, 7), (old + 60, "shop.old", B, 1)):
        harness.query(db, "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
                          " calls) VALUES('shop', ?, ?, '', '', ?, ?)", (name, bucket, hb, calls))
    fns = cli_functions(db, "--since", "all")
    # 90 + 0 in A, 10 + 80 in B: p50 is A exactly at the boundary (90 of 180).
    check(pcts(fns["shop.pay"]) == expected({A: 90, B: 90}) ==
          (bucket_mid_ms(A), bucket_mid_ms(B), bucket_mid_ms(B)), "all time: %r" % (
              pcts(fns["shop.pay"]),))
    check(pcts(fns["shop.old"]) == expected({A: 7, B: 1}), "old function %r" % fns["shop.old"])
    fns = cli_functions(db, "--since", "1h")
    check(pcts(fns["shop.pay"]) == expected({A: 90, B: 10}), "1h leaves the old minutes out")
    check(pcts(fns["shop.old"]) == (None, None, None), "window without hist: %r" % fns["shop.old"])
    fns = cli_functions(db, "--since", "3h")
    check(pcts(fns["shop.old"]) == expected({A: 7, B: 1}), "3h takes them in")

    # The table: a P95 column in the table's units, and --sort p50/p95/p99.
    table = harness.cli("report", "--db", db, "--since", "all", "--sort", "p95")
    lines = table.splitlines()
    header = [l for l in lines if l.startswith("FUNCTION ")][0]
    end = header.index("P95") + len("P95")
    rows = [l for l in lines[lines.index(header) + 1:] if l.startswith("shop.")]
    order = [l.split()[0] for l in rows]
    check(sorted(order) == ["shop.lab", "shop.old", "shop.pay", "shop.plain"], "rows %r" % order)
    pay = [l for l in rows if l.startswith("shop.pay ")][0]
    cell = fmt_time(bucket_mid_ms(B))
    check(pay[end - len(cell):end] == cell, "P95 cell %r not under P95:\n%s\n%s" % (cell, header, pay))
    plain = [l for l in rows if l.startswith("shop.plain ")][0]
    check(plain[end - 1:end] == "-", "no p95 shows -: %r" % plain)
    check(order[-1] == "shop.plain", "unknown p95 sorts last: %r" % order)
    for field in ("p50", "p95", "p99"):
        out = harness.cli("report", "--db", db, "--since", "all", "--sort", field, "--json")
        names = [f["name"] for f in json.loads(out)["projects"][0]["functions"]]
        vals = [f[field + "_ms"] for f in json.loads(out)["projects"][0]["functions"]]
        known = [v for v in vals if v is not None]
        check(known == sorted(known, reverse=True) and vals[len(known):] == [None] * (len(vals) - len(known)),
              "--sort %s: %r %r" % (field, names, vals))
    rc, _, err = harness.cli_result("report", "--db", db, "--sort", "p42")
    check(rc == 2 and "p95" in err, "bad --sort: %d %r" % (rc, err))


BAD = [  # (element, field)
    ({"hist": [[976, 1]]}, "hist"),
    ({"hist": [[-1, 1]]}, "hist"),
    ({"hist": [[1.5, 1]]}, "hist"),
    ({"hist": [["3", 1]]}, "hist"),
    ({"hist": [[5, 1], [4, 1]]}, "hist"),
    ({"hist": [[5, 1], [5, 1]]}, "hist"),
    ({"hist": [[5, 0]]}, "hist"),
    ({"hist": [[5, -2]]}, "hist"),
    ({"hist": [[5, 1.5]]}, "hist"),
    ({"hist": [[5, 2 ** 53]]}, "hist"),
    ({"hist": [[5, True]]}, "hist"),
    ({"hist": [[5]]}, "hist"),
    ({"hist": [[5, 1, 1]]}, "hist"),
    ({"hist": [5, 1]}, "hist"),
    ({"hist": {"5": 1}}, "hist"),
    ({"hist": None}, "hist"),
    ({"hist": [[i, 1] for i in range(976)] + [[975, 1]]}, "hist"),  # 977 pairs
    ({"file": ""}, "file"),
    ({"file": "f" * 513}, "file"),
    ({"file": "a\u0001b.c"}, "file"),
    ({"file": "a\u007fb.c"}, "file"),
    ({"file": 5}, "file"),
    ({"line": 0}, "line"),
    ({"line": 2 ** 31}, "line"),
    ({"line": -3}, "line"),
    ({"line": 1.5}, "line"),
    ({"line": "12"}, "line"),
    ({"line": None}, "line"),
]


def state(db):
    return (harness.snapshot(db), hist_rows(db),
            harness.query(db, "SELECT name, file, line FROM functions ORDER BY name"))


def test_refusals(tmp):
    db = harness.new_db(tmp, "bad.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "shop.keep", "calls": 1, "hist": [[A, 1]], "file": "k.c",
                       "line": 3}])
        before = state(db)
        for bad, field in BAD:
            elem = dict({"name": "shop.bad", "calls": 1}, **bad)
            status, reply, hdrs = post(srv, key, [
                {"name": "shop.good", "calls": 2, "hist": [[A, 2]], "file": "g.c", "line": 9},
                elem])
            check(status == 400 and reply.get("index") == 1 and reply.get("field") == field,
                  "%r: %d %r" % (bad if len(json.dumps(bad)) < 200 else field, status, reply))
            check("X-CodeNSM-Extensions" not in hdrs, "a 400 with the header")
        check(state(db) == before, "a refused request stored something")
        # The bounds themselves are accepted.
        ok(srv, key, [{"name": "shop.edge", "calls": 1, "hist": [[i, 1] for i in range(976)],
                       "file": "\u00e9" * 256, "line": 2 ** 31 - 1},
                      {"name": "shop.edge2", "calls": 1, "hist": [[0, MAX], [975.0, 1]],
                       "line": 1, "file": "x"},
                      {"name": "shop.edge3", "calls": 1, "hist": []}])
        fns = {f["name"]: f for f in srv.get_json("/api/report?since=1h&limit=0")["functions"]}
        check(fns["shop.edge"]["file"] == "\u00e9" * 256 and fns["shop.edge"]["line"] == 2 ** 31 - 1,
              "edge source %r" % fns["shop.edge"])
        check(pcts(fns["shop.edge"]) == expected({i: 1 for i in range(976)}), "976 buckets")
        check(pcts(fns["shop.edge2"]) == (0.0, 0.0, 0.0), "bucket 0 holds almost all: %r" % (
            pcts(fns["shop.edge2"]),))
        check(pcts(fns["shop.edge3"]) == (None, None, None), "empty hist")


def test_source(tmp):
    db = harness.new_db(tmp, "src.db")
    key = harness.key_create(db, "shop")

    def src(name):
        f = cli_functions(db, "--since", "1h")[name]
        return (f["file"], f["line"])

    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "shop.a", "calls": 1, "file": "src/a.c", "line": 10},
                      {"name": "shop.b", "calls": 1}])
        check(src("shop.a") == ("src/a.c", 10) and src("shop.b") == (None, None), "first")
        ok(srv, key, [{"name": "shop.a", "calls": 1, "file": "src/a2.c", "line": 20},
                      {"name": "shop.b", "calls": 0, "line": 7}])
        check(src("shop.a") == ("src/a2.c", 20) and src("shop.b") == (None, 7), "last wins")
        ok(srv, key, [{"name": "shop.a", "calls": 1}, {"name": "shop.b", "calls": 1, "file": "b.c"}])
        check(src("shop.a") == ("src/a2.c", 20) and src("shop.b") == ("b.c", 7), "absent keeps")
        # The same name twice in one batch: the last one sent wins.
        ok(srv, key, [{"name": "shop.a", "calls": 1, "file": "one.c", "line": 1},
                      {"name": "shop.a", "calls": 1, "file": "two.c", "line": 2}])
        check(src("shop.a") == ("two.c", 2), "last in the batch: %r" % (src("shop.a"),))
        tricky = 'dir "q"\\x/\u00fc.c'
        ok(srv, key, [{"name": "shop.a", "calls": 1, "file": tricky}])
        check(src("shop.a") == (tricky, 2), "quotes and backslashes %r" % (src("shop.a"),))


def test_idempotency(tmp):
    db = harness.new_db(tmp, "idem.db")
    key = harness.key_create(db, "shop")
    body = [{"name": "shop.pay", "calls": 100, "hist": [[A, 90], [B, 10]]}]
    idem = {"Idempotency-Key": "hist-batch-0123456789"}
    with harness.Collector(db) as srv:
        first = ok(srv, key, body, idem)
        again = ok(srv, key, body, idem)
        check(not first.get("duplicate") and again.get("duplicate") is True,
              "%r %r" % (first, again))
        check(hist_rows(db) == (2, 100), "stored once: %r" % (hist_rows(db),))
        check(pcts(cli_functions(db, "--since", "1h")["shop.pay"]) == expected({A: 90, B: 10}),
              "percentiles of one copy")
        # Rows saturate at 2^53 - 1 rather than overflow: twice the
        # maximum into one row (one batch: one minute).
        ok(srv, key, [{"name": "shop.big", "calls": 1, "hist": [[A, MAX]]},
                      {"name": "shop.big", "calls": 1, "hist": [[A, MAX], [B, 5]]}])
        rows = harness.query(db, "SELECT hbucket, calls FROM hist WHERE name = 'shop.big'"
                                 " ORDER BY hbucket")
        check(rows == [(A, MAX), (B, 5)], "saturated %r" % rows)
        ok(srv, key, [{"name": "shop.big", "calls": 1, "hist": [[A, MAX]]}])
        check(harness.query(db, "SELECT MAX(calls) FROM hist WHERE name = 'shop.big'")[0][0] == MAX,
              "still saturated")
        check(pcts(cli_functions(db, "--since", "1h")["shop.big"])[0] == bucket_mid_ms(A),
              "saturated rows still give percentiles")


def test_retention(tmp):
    db = harness.new_db(tmp, "ret.db")
    key = harness.key_create(db, "shop")
    now = int(time.time())
    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "shop.pay", "calls": 10, "hist": [[A, 9], [B, 1]]},
                      {"name": "shop.cart", "calls": 0}])
    # Three hours back, a minute apart, two versions; and two rows at the
    # maximum in one old hour, whose roll-up must saturate.
    base = now - now % 3600 - 3 * 3600
    rows = ["('shop', '%s', %d, '%s', '', %d, %d)" % (
        "shop.pay" if i % 3 else "shop.cart", base + 60 * i, version, hb, calls)
        for i in range(150) for version in ("1.0", "2.0")
        for hb, calls in ((A + i % 5, i + 1), (B + i % 2, 2 * i + 1))]
    rows += ["('shop', 'shop.max', %d, '', '', %d, %d)" % (base + 60 * minute, B, MAX)
             for minute in (1, 2)]
    harness.query(db, "INSERT INTO hist(project, name, bucket, version, instance, hbucket, calls)"
                      " VALUES" + ", ".join(rows))
    harness.query(db, "INSERT INTO functions(project, name, department, value_weight,"
                      " first_seen, last_seen) VALUES('shop', 'shop.max', 'x', 1, 0, 0)")

    def figures():
        out = {}
        for args in ((), ("--version", "1.0"), ("--version", "2.0")):
            for name, f in cli_functions(db, "--since", "all", *args).items():
                out[(args, name)] = pcts(f)
        return out

    before = figures()
    check(before[((), "shop.max")] == expected({B: 1}), "shop.max %r" % (before[((), "shop.max")],))
    check(before[((), "shop.cart")][0] is not None, "old rows are reported")
    nrows = hist_rows(db)[0]
    harness.cli("compact", "--db", db, "--now", str(now + 8 * DAY),
                "--retain-minutes", "7d", "--retain-hours", "30d")
    buckets = [r[0] for r in harness.query(db, "SELECT bucket FROM hist")]
    check(all(b % 3600 == 0 for b in buckets), "minutes left in hist")
    check(len(buckets) < nrows, "no fewer hist rows")
    check(figures() == before, "hours changed percentiles")
    check(harness.query(db, "SELECT calls FROM hist WHERE name = 'shop.max'") == [(MAX,)],
          "roll-up saturates: %r" % harness.query(db, "SELECT calls FROM hist WHERE name = 'shop.max'"))
    harness.cli("compact", "--db", db, "--now", str(now + 40 * DAY),
                "--retain-minutes", "7d", "--retain-hours", "30d")
    check(all(r[0] % DAY == 0 for r in harness.query(db, "SELECT bucket FROM hist")),
          "hours left in hist")
    check(figures() == before, "days changed percentiles")
    harness.cli("compact", "--db", db, "--now", str(now + 400 * DAY), "--retain-days", "365d")
    check(hist_rows(db) == (0, 0), "dropped past --retain-days: %r" % (hist_rows(db),))
    check(all(p == (None, None, None) for p in figures().values()), "dropped still reported")


def test_scale(tmp):
    """5,000 functions x 60 minutes of histograms (three buckets each):
    the report is one grouped query, not one per function."""
    db = harness.new_db(tmp, "scale.db")
    harness.key_create(db, "shop")  # creates the schema
    now = int(time.time())
    base = now - now % 60 - 3600
    harness.query(db, "WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f WHERE i < 4999)"
                      " INSERT INTO functions(project, name, department, value_weight, first_seen,"
                      " last_seen) SELECT 'shop', 'fn' || i, 'd' || (i % 20), 1, 0, 0 FROM f")
    harness.query(db, "WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f WHERE i < 4999),"
                      " m(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM m WHERE j < 59),"
                      " h(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM h WHERE k < 2)"
                      " INSERT INTO hist(project, name, bucket, version, instance, hbucket, calls)"
                      " SELECT 'shop', 'fn' || i, ? + 60 * j, '', '', 300 + 16 * k + i % 10, 1 + k"
                      " FROM f, m, h", (base,))
    harness.query(db, "WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f WHERE i < 4999),"
                      " m(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM m WHERE j < 59)"
                      " INSERT INTO counts(project, name, bucket, version, instance, calls, errors,"
                      " total_ms) SELECT 'shop', 'fn' || i, ? + 60 * j, '', '', 6, 0, 1.5 FROM f, m",
                  (base,))
    t0 = time.time()
    fns = cli_functions(db, "--since", "2h")
    took = time.time() - t0
    print("report over 5,000 functions x 60 minutes of histograms: %.2f s" % took)
    check(len(fns) == 5000, "functions %d" % len(fns))
    f = fns["fn7"]  # 60 x 1 in 307, 60 x 2 in 323, 60 x 3 in 339
    check(pcts(f) == expected({307: 60, 323: 120, 339: 180}), "fn7 %r" % (pcts(f),))
    check(took < 20, "report took %.1f s" % took)


# Schema 3 as the collector before the extensions created it (SQLite).
SCHEMA_3 = """
CREATE TABLE keys(id INTEGER PRIMARY KEY, project TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,
  hint TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE functions(project TEXT NOT NULL, name TEXT NOT NULL, department TEXT NOT NULL,
  value_weight REAL NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  PRIMARY KEY(project, name)) WITHOUT ROWID;
CREATE TABLE counts(project TEXT NOT NULL, name TEXT NOT NULL, bucket INTEGER NOT NULL,
  version TEXT NOT NULL DEFAULT '', instance TEXT NOT NULL DEFAULT '',
  calls INTEGER NOT NULL, errors INTEGER NOT NULL, total_ms REAL NOT NULL,
  PRIMARY KEY(project, name, bucket, version, instance)) WITHOUT ROWID;
CREATE INDEX counts_by_bucket ON counts(project, bucket);
CREATE TABLE totals(project TEXT PRIMARY KEY, calls INTEGER NOT NULL, errors INTEGER NOT NULL,
  total_ms REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE batches(project TEXT NOT NULL, key TEXT NOT NULL, body_hash BLOB NOT NULL,
  accepted INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY(project, key)) WITHOUT ROWID;
CREATE INDEX batches_by_time ON batches(created_at);
INSERT INTO functions VALUES('old', 'old.fn', 'engine', 3, 60, 180);
INSERT INTO counts VALUES('old', 'old.fn', 60, '', '', 40, 2, 80.0);
INSERT INTO totals VALUES('old', 40, 2, 80.0);
PRAGMA user_version = 3;
"""


def test_migration(tmp):
    db = os.path.join(tmp, "old.db")
    con = sqlite3.connect(db)
    con.executescript(SCHEMA_3)
    con.close()
    f = cli_functions(db, "--since", "all")["old.fn"]
    check((f["calls"], f["file"], f["line"]) == (40, None, None) and pcts(f) == (None,) * 3,
          "after migration %r" % f)
    check(harness.query(db, "PRAGMA user_version") == [(8,)], "schema version")
    key = harness.key_create(db, "old")
    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "old.fn", "calls": 1, "hist": [[A, 1]], "file": "o.c", "line": 4}])
    f = cli_functions(db, "--since", "all")["old.fn"]
    check((f["calls"], f["file"], f["line"], f["p50_ms"]) == (41, "o.c", 4, bucket_mid_ms(A)),
          "extensions after migration %r" % f)


def test(tmp):
    parts = (test_percentiles, test_refusals, test_source, test_idempotency, test_retention,
             test_scale) + ((test_migration,) if harness.BACKEND == "sqlite" else ())
    for part in parts:
        sub = os.path.join(tmp, part.__name__)
        os.mkdir(sub)
        part(sub)


if __name__ == "__main__":
    harness.main(test)
