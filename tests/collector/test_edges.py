# SPDX-License-Identifier: Apache-2.0
"""test_edges.py - the ingest contract's extensions callers and causes
(docs/ingest-contract.md, "Extensions") and self time (docs/metrics.md,
"Self time") over real HTTP: every 200 of ingest names callers and causes
in X-CodeNSM-Extensions; `callers` and `root_causes` are summed per
function, minute and labels across batches (a follow-up element with
calls 0 too), and `report --json`, /api/report and /api/function give
each function its callers (by calls), root causes (by errors) and self_ms
- computed here from the formula of docs/metrics.md, exact - and
/api/function its callees; windows and label filters apply; every
malformed callers/root_causes field refuses the request whole (400 with
index and field) and stores nothing, the bounds are accepted; a batch
resent under its Idempotency-Key adds its lists once; retention rolls the
rows up with the counts and drops them; the table's SELF column and
--sort self; 5,000 functions x 60 minutes of callers stay fast; a
schema-4 database (SQLite file or PostgreSQL) migrates to 5 keeping its
data.  Runs on SQLite, and on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import os
import sqlite3
import time

import harness
from harness import check
from test_extensions import ok, post

MAX = 2 ** 53 - 1
DAY = 86400
H = [[400, 1]]  # a histogram: the function has timed calls




def cli_fns(db, *args):
    """Every project's functions by name (names are the projects'
    own: "shop.x", "other.x")."""
    doc = json.loads(harness.cli("report", "--db", db, "--json", *args))
    return {f["name"]: f for p in doc["projects"] for f in p["functions"]}


def api_fns(srv, query="project=shop&since=1h"):
    return {f["name"]: f for f in srv.get_json("/api/report?limit=0&" + query)["functions"]}


def pairs(lst, key):
    return [(e["name"], e[key]) for e in lst]


def ordered(d):
    """{name: n} as the collector lists it: n descending, then name."""
    return sorted(d.items(), key=lambda kv: (-kv[1], kv[0]))


# The figures sent (one minute), and the call graph behind them:
# main -> api_checkout (10) -> db_write (10), charge (4), log (3);
# db_write -> log (1); main -> walk (4), walk -> walk (8).
SENT = {
    "shop.main": dict(calls=1, total_ms=3000.0),
    "shop.api_checkout": dict(calls=10, errors=5, total_ms=1500.0,
                              callers={"shop.main": 10},
                              causes={"shop.db_write": 3, "shop.charge": 2}),
    "shop.db_write": dict(calls=10, errors=3, total_ms=1000.0,
                          callers={"shop.api_checkout": 10}, causes={"shop.db_write": 3}),
    "shop.charge": dict(calls=4, errors=2, total_ms=80.0,
                        callers={"shop.api_checkout": 4}, causes={"shop.charge": 2}),
    "shop.log": dict(calls=4, total_ms=40.0,
                     callers={"shop.api_checkout": 3, "shop.db_write": 1}),
    "shop.walk": dict(calls=12, total_ms=600.0, callers={"shop.main": 4, "shop.walk": 8}),
    "shop.nohist": dict(calls=2, total_ms=10.0, callers={"shop.main": 2}, hist=False),
    "shop.tiny": dict(calls=1, total_ms=1.0),
    "shop.big": dict(calls=1, total_ms=100.0, callers={"shop.tiny": 1}),
}


def self_ms(name):
    """docs/metrics.md's formula, from SENT."""
    f = SENT[name]
    if f.get("hist") is False:
        return None
    total = f["total_ms"]
    for g, gf in SENT.items():
        edge = gf.get("callers", {}).get(name, 0)
        if g == name or edge == 0:
            continue
        outer = gf["calls"] - gf.get("callers", {}).get(g, 0)
        total -= edge / max(1, outer) * gf["total_ms"]
    return min(max(total, 0.0), f["total_ms"])


def callees(name):
    return {g: gf["callers"][name] for g, gf in SENT.items() if name in gf.get("callers", {})}


def send_graph(srv, key):
    """SENT in two batches: the counts with half of each list, then
    follow-up elements with calls 0 carrying the rest (split so that the
    sums across batches are what is checked)."""
    first, second = [], []
    for name, f in SENT.items():
        e = {"name": name, "calls": f["calls"], "errors": f.get("errors", 0),
             "total_ms": f["total_ms"]}
        if f.get("hist") is not False:
            e["hist"] = H
        follow = {"name": name, "calls": 0}
        for field, src, count in (("callers", "callers", "calls"),
                                  ("root_causes", "causes", "errors")):
            items = sorted(f.get(src, {}).items())
            e[field] = [{"name": n, count: c - c // 2} for n, c in items]
            follow[field] = [{"name": n, count: c // 2} for n, c in items if c // 2]
        first.append(e)
        second.append(follow)
    ok(srv, key, first)
    ok(srv, key, second)


def check_fn(f, name, where):
    s = SENT[name]
    check(pairs(f["callers"], "calls") == ordered(s.get("callers", {})),
          "%s %s callers %r" % (where, name, f["callers"]))
    check(pairs(f["root_causes"], "errors") == ordered(s.get("causes", {})),
          "%s %s root_causes %r" % (where, name, f["root_causes"]))
    check(f["self_ms"] == self_ms(name), "%s %s self_ms %r, wanted %r" % (
        where, name, f["self_ms"], self_ms(name)))


def test_figures(tmp):
    db = harness.new_db(tmp, "edges.db")
    key = harness.key_create(db, "shop")
    other = harness.key_create(db, "other")
    # The formula's own checks: the brief's examples, by hand.
    check(self_ms("shop.api_checkout") == 1500 - 1000 - 80 - 30, "api_checkout by hand")
    check(self_ms("shop.main") == 3000 - 1500 - 4 / (12 - 8) * 600 - 2 / 2 * 10,
          "main by hand")
    check(self_ms("shop.walk") == 600 and self_ms("shop.tiny") == 0, "recursion and clamp")
    with harness.Collector(db) as srv:
        send_graph(srv, key)
        ok(srv, other, [{"name": "other.x", "calls": 1,
                         "callers": [{"name": "shop.main", "calls": 99}]}])
        cli = cli_fns(db, "--since", "1h")
        api = api_fns(srv)
        for name in SENT:
            check_fn(cli[name], name, "report --json")
            check_fn(api[name], name, "/api/report")
            fn = srv.get_json("/api/function?project=shop&since=1h&name=" + name)
            check_fn(fn, name, "/api/function")
            check(pairs(fn["callees"], "calls") == ordered(callees(name)),
                  "%s callees %r" % (name, fn["callees"]))
        check(api["shop.api_checkout"]["errors"] == 5 and
              pairs(api["shop.api_checkout"]["root_causes"], "errors")
              == [("shop.db_write", 3), ("shop.charge", 2)], "5 errors = 3 + 2")
        check(api["shop.walk"]["callers"][0] == {"name": "shop.walk", "calls": 8},
              "direct recursion listed: %r" % api["shop.walk"]["callers"])
        # The brief's example: 150 ms inclusive calling a 100 ms callee once.
        ok(srv, key, [{"name": "shop.f", "calls": 1, "total_ms": 150, "hist": H},
                      {"name": "shop.g", "calls": 1, "total_ms": 100, "hist": H,
                       "callers": [{"name": "shop.f", "calls": 1}]}])
        check(api_fns(srv)["shop.f"]["self_ms"] == 50, "150 - 100 = 50 ms")

        # Labels: rows of their own, filtered like counts.
        ok(srv, key, [{"name": "shop.lab", "calls": 7, "callers": [{"name": "shop.main", "calls": 7}],
                       "root_causes": [{"name": "shop.lab", "errors": 1}], "errors": 1}],
           {"X-CodeNSM-Version": "2.0"})
        ok(srv, key, [{"name": "shop.lab", "calls": 1, "callers": [{"name": "shop.main", "calls": 1}]}])
        lab = lambda *a: cli_fns(db, "--since", "1h", *a)["shop.lab"]
        check(pairs(lab()["callers"], "calls") == [("shop.main", 8)], "all labels")
        check(pairs(lab("--version", "2.0")["callers"], "calls") == [("shop.main", 7)]
              and pairs(lab("--version", "2.0")["root_causes"], "errors") == [("shop.lab", 1)],
              "--version 2.0")
        check(pairs(lab("--version", "")["callers"], "calls") == [("shop.main", 1)]
              and lab("--version", "")["root_causes"] == [], "--version ''")
        fn = srv.get_json("/api/function?project=shop&since=1h&version=2.0&name=shop.main")
        check(("shop.lab", 7) in pairs(fn["callees"], "calls"), "callees under a label %r" % fn["callees"])

    # An old minute, as if ingested two hours ago: outside 1h, inside all.
    now = int(time.time())
    old = now - now % 60 - 7200
    harness.query(db, "INSERT INTO causes(project, name, cause, bucket, version, instance, errors)"
                      " VALUES('shop', 'shop.api_checkout', 'shop.ancient', ?, '', '', 9)", (old,))
    check(pairs(cli_fns(db, "--since", "1h")["shop.api_checkout"]["root_causes"], "errors")
          == [("shop.db_write", 3), ("shop.charge", 2)], "1h leaves the old minute out")
    check(pairs(cli_fns(db, "--since", "all")["shop.api_checkout"]["root_causes"], "errors")
          == [("shop.ancient", 9), ("shop.db_write", 3), ("shop.charge", 2)], "all takes it in")
    check(pairs(cli_fns(db, "--since", "1h", "--project", "other")["other.x"]["callers"], "calls")
          == [("shop.main", 99)], "another project's callers are its own")

    # The table: SELF beside MEAN, and --sort self (unknown last).
    table = harness.cli("report", "--db", db, "--project", "shop", "--since", "1h", "--sort", "self",
                        "--limit", "50")
    lines = table.splitlines()
    header = [l for l in lines if l.startswith("FUNCTION ")][0]
    check(header.index("MEAN") < header.index("SELF") < header.index("P95"), header)
    end = header.index("SELF") + len("SELF")
    rows = [l for l in lines[lines.index(header) + 1:] if l.startswith("shop.")]
    co = [l for l in rows if l.startswith("shop.api_checkout ")][0]
    check(co[end - len("390 ms"):end] == "390 ms", "SELF cell:\n%s\n%s" % (header, co))
    nh = [l for l in rows if l.startswith("shop.nohist ")][0]
    check(nh[end - 1:end] == "-", "unknown self shows -: %r" % nh)
    got = [f["self_ms"] for f in json.loads(harness.cli(
        "report", "--db", db, "--project", "shop", "--since", "1h", "--sort", "self",
        "--json"))["projects"][0]["functions"]]
    known = [v for v in got if v is not None]
    check(known == sorted(known, reverse=True) and got[len(known):] == [None] * (len(got) - len(known)),
          "--sort self: %r" % got)
    check(known[0] == 990, "db_write's self first: %r" % known)


def edge_rows(db):
    return (harness.query(db, "SELECT COUNT(*), COALESCE(SUM(calls), 0) FROM callers")[0],
            harness.query(db, "SELECT COUNT(*), COALESCE(SUM(errors), 0) FROM causes")[0])


LONG = "n" * 513
BAD = []
for field, count in (("callers", "calls"), ("root_causes", "errors")):
    BAD += [
        ({field: {}}, field), ({field: "x"}, field), ({field: None}, field),
        ({field: [1]}, field), ({field: [[ "a", 1]]}, field),
        ({field: [{count: 1}]}, field), ({field: [{"name": "", count: 1}]}, field),
        ({field: [{"name": LONG, count: 1}]}, field),
        ({field: [{"name": "a\u0001b", count: 1}]}, field),
        ({field: [{"name": 5, count: 1}]}, field),
        ({field: [{"name": "a"}]}, field), ({field: [{"name": "a", count: 0}]}, field),
        ({field: [{"name": "a", count: -1}]}, field), ({field: [{"name": "a", count: 1.5}]}, field),
        ({field: [{"name": "a", count: 2 ** 53}]}, field),
        ({field: [{"name": "a", count: "1"}]}, field),
        ({field: [{"name": "a", count: True}]}, field),
        ({field: [{"name": "a", count: 1}, {"name": "b", count: 2}, {"name": "a", count: 3}]}, field),
    ]
BAD += [
    ({"callers": [{"name": "c%d" % i, "calls": 1} for i in range(4097)]}, "callers"),
    ({"root_causes": [{"name": "c%d" % i, "errors": 1} for i in range(257)]}, "root_causes"),
    ({"root_causes": [{"name": "a", "calls": 1}]}, "root_causes"),  # the other list's count
    ({"callers": [{"name": "a", "errors": 1}]}, "callers"),
]


def test_refusals(tmp):
    db = harness.new_db(tmp, "bad.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "shop.keep", "calls": 1, "callers": [{"name": "shop.k", "calls": 1}],
                       "root_causes": [{"name": "shop.k", "errors": 1}], "errors": 1}])
        before = (harness.snapshot(db), edge_rows(db))
        for bad, field in BAD:
            elem = dict({"name": "shop.bad", "calls": 1}, **bad)
            status, reply, hdrs = post(srv, key, [
                {"name": "shop.good", "calls": 2, "callers": [{"name": "shop.k", "calls": 2}]}, elem])
            shown = bad if len(json.dumps(bad)) < 200 else field
            check(status == 400 and reply.get("index") == 1 and reply.get("field") == field,
                  "%r: %d %r" % (shown, status, reply))
            check("X-CodeNSM-Extensions" not in hdrs, "a 400 with the header")
        check((harness.snapshot(db), edge_rows(db)) == before, "a refused request stored something")
        # The bounds are accepted; empty lists change nothing.
        ok(srv, key, [{"name": "shop.edge", "calls": 0,
                       "callers": [{"name": "c%d" % i, "calls": 1} for i in range(4095)]
                       + [{"name": "shop.edge", "calls": MAX}],
                       "root_causes": [{"name": "\u00e9" * 256, "errors": MAX}]
                       + [{"name": "r%d" % i, "errors": 1} for i in range(255)]},
                      {"name": "shop.empty", "calls": 1, "callers": [], "root_causes": []}])
        fns = api_fns(srv)
        check(len(fns["shop.edge"]["callers"]) == 4096 and
              fns["shop.edge"]["callers"][0] == {"name": "shop.edge", "calls": MAX},
              "4096 callers, the largest exact: %r" % fns["shop.edge"]["callers"][:2])
        check(fns["shop.edge"]["root_causes"][0] == {"name": "\u00e9" * 256, "errors": MAX}
              and len(fns["shop.edge"]["root_causes"]) == 256, "256 causes")
        check(fns["shop.empty"]["callers"] == [] and fns["shop.empty"]["root_causes"] == [],
              "empty lists")
        # Rows saturate at 2^53 - 1, in one batch and across batches.
        ok(srv, key, [{"name": "shop.edge", "calls": 0, "callers": [{"name": "shop.edge", "calls": 5}]}])
        check(harness.query(db, "SELECT calls FROM callers WHERE name = 'shop.edge'"
                                " AND caller = 'shop.edge'") == [(MAX,)], "saturated")


def test_idempotency(tmp):
    db = harness.new_db(tmp, "idem.db")
    key = harness.key_create(db, "shop")
    body = [{"name": "shop.a", "calls": 3, "errors": 1, "callers": [{"name": "shop.m", "calls": 3}],
             "root_causes": [{"name": "shop.z", "errors": 1}]}]
    idem = {"Idempotency-Key": "edges-batch-0123456789"}
    with harness.Collector(db) as srv:
        first = ok(srv, key, body, idem)
        again = ok(srv, key, body, idem)
        check(again.get("duplicate") is True and not first.get("duplicate"), "%r" % again)
        check(edge_rows(db) == ((1, 3), (1, 1)), "stored once: %r" % (edge_rows(db),))


def test_retention(tmp):
    db = harness.new_db(tmp, "ret.db")
    key = harness.key_create(db, "shop")
    now = int(time.time())
    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "shop.a", "calls": 1}])
    base = now - now % 3600 - 3 * 3600
    harness.query(db, "INSERT INTO callers(project, name, caller, bucket, version, instance, calls)"
                      " VALUES" + ", ".join("('shop', 'shop.a', 'shop.m%d', %d, '%s', '', %d)" % (
                          i % 3, base + 60 * i, v, i + 1) for i in range(150) for v in ("1", "2")))
    harness.query(db, "INSERT INTO causes(project, name, cause, bucket, version, instance, errors)"
                      " VALUES" + ", ".join("('shop', 'shop.a', 'shop.c%d', %d, '', '', %d)" % (
                          i % 2, base + 60 * i, 2 * i + 1) for i in range(150)))
    harness.query(db, "INSERT INTO callers(project, name, caller, bucket, version, instance, calls)"
                      " VALUES('shop', 'shop.a', 'shop.max', ?, '', '', ?),"
                      " ('shop', 'shop.a', 'shop.max', ?, '', '', ?)", (base + 60, MAX, base + 120, MAX))

    def figures():
        out = {}
        for args in ((), ("--version", "1"), ("--version", "2")):
            f = cli_fns(db, "--since", "all", *args)["shop.a"]
            out[args] = (f["callers"], f["root_causes"])
        return out

    before = figures()
    check(before[()][1] and before[("--version", "1")][0], "old rows are reported")
    n = edge_rows(db)
    harness.cli("compact", "--db", db, "--now", str(now + 8 * DAY),
                "--retain-minutes", "7d", "--retain-hours", "30d")
    check(all(r[0] % 3600 == 0 for r in harness.query(db, "SELECT bucket FROM callers")) and
          all(r[0] % 3600 == 0 for r in harness.query(db, "SELECT bucket FROM causes")),
          "minutes left")
    check(edge_rows(db)[0][0] < n[0][0] and edge_rows(db)[1][0] < n[1][0], "no fewer rows")
    check(figures() == before, "hours changed the lists")
    check(harness.query(db, "SELECT calls FROM callers WHERE caller = 'shop.max'") == [(MAX,)],
          "roll-up saturates")
    harness.cli("compact", "--db", db, "--now", str(now + 40 * DAY),
                "--retain-minutes", "7d", "--retain-hours", "30d")
    check(all(r[0] % DAY == 0 for r in harness.query(db, "SELECT bucket FROM callers")), "hours left")
    check(figures() == before, "days changed the lists")
    harness.cli("compact", "--db", db, "--now", str(now + 400 * DAY), "--retain-days", "365d")
    check(edge_rows(db) == ((0, 0), (0, 0)), "dropped: %r" % (edge_rows(db),))


def test_scale(tmp):
    """5,000 functions x 60 minutes, each called by two others: one
    grouped query per table, not one per function."""
    db = harness.new_db(tmp, "scale.db")
    harness.key_create(db, "shop")
    now = int(time.time())
    base = now - now % 60 - 3600
    rec = ("WITH RECURSIVE f(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM f WHERE i < 4999),"
           " m(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM m WHERE j < 59),"
           " k(c) AS (SELECT 1 UNION ALL SELECT c + 1 FROM k WHERE c < 2) ")
    harness.query(db, rec + "INSERT INTO functions(project, name, department, value_weight,"
                      " first_seen, last_seen) SELECT 'shop', 'fn' || i, 'd', 1, 0, 0 FROM f")
    harness.query(db, rec + "INSERT INTO counts(project, name, bucket, version, instance, calls,"
                      " errors, total_ms) SELECT 'shop', 'fn' || i, ? + 60 * j, '', '', 4, 0, 2.0"
                      " FROM f, m", (base,))
    harness.query(db, rec + "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
                      " calls) SELECT 'shop', 'fn' || i, ? + 60 * j, '', '', 300, 4 FROM f, m", (base,))
    harness.query(db, rec + "INSERT INTO callers(project, name, caller, bucket, version, instance,"
                      " calls) SELECT 'shop', 'fn' || i, 'fn' || ((i + c) % 5000), ? + 60 * j, '', '',"
                      " 2 FROM f, m, k", (base,))
    t0 = time.time()
    fns = cli_fns(db, "--since", "2h")
    took = time.time() - t0
    print("report over 5,000 functions x 60 minutes of callers: %.2f s" % took)
    check(len(fns) == 5000, "functions %d" % len(fns))
    # fn7 is called by fn8 and fn9 (120 calls each, half of its 240), and
    # calls fn5 and fn6: self = 120 - 2 x (120 / 240 x 120) = 0.
    f = fns["fn7"]
    check(pairs(f["callers"], "calls") == [("fn8", 120), ("fn9", 120)], "fn7 %r" % f["callers"])
    check(f["self_ms"] == 0 and f["total_ms"] == 120, "fn7 self %r" % f["self_ms"])
    check(took < 20, "report took %.1f s" % took)


# Schema 4 as the collector before callers and causes created it.
SCHEMA_4_SQLITE = """
CREATE TABLE keys(id INTEGER PRIMARY KEY, project TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,
  hint TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE functions(project TEXT NOT NULL, name TEXT NOT NULL, department TEXT NOT NULL,
  value_weight REAL NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  file TEXT, line INTEGER, PRIMARY KEY(project, name)) WITHOUT ROWID;
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
CREATE TABLE hist(project TEXT NOT NULL, name TEXT NOT NULL, bucket INTEGER NOT NULL,
  version TEXT NOT NULL DEFAULT '', instance TEXT NOT NULL DEFAULT '', hbucket INTEGER NOT NULL,
  calls INTEGER NOT NULL, PRIMARY KEY(project, name, hbucket, bucket, version, instance)) WITHOUT ROWID;
"""

SCHEMA_4_PG = """
CREATE TABLE codensm_schema(version INTEGER NOT NULL); INSERT INTO codensm_schema VALUES(4);
CREATE TABLE keys(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, project TEXT NOT NULL,
  hash BYTEA NOT NULL UNIQUE, hint TEXT NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT);
CREATE TABLE functions(project TEXT NOT NULL, name TEXT NOT NULL, department TEXT NOT NULL,
  value_weight DOUBLE PRECISION NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  file TEXT, line BIGINT, PRIMARY KEY(project, name));
CREATE TABLE counts(project TEXT NOT NULL, name TEXT NOT NULL, bucket BIGINT NOT NULL,
  calls BIGINT NOT NULL, errors BIGINT NOT NULL, total_ms DOUBLE PRECISION NOT NULL,
  version TEXT NOT NULL DEFAULT '', instance TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(project, name, bucket, version, instance));
CREATE INDEX counts_by_bucket ON counts(project, bucket);
CREATE TABLE totals(project TEXT PRIMARY KEY, calls BIGINT NOT NULL, errors BIGINT NOT NULL,
  total_ms DOUBLE PRECISION NOT NULL);
CREATE TABLE batches(project TEXT NOT NULL, key TEXT NOT NULL, body_hash BYTEA NOT NULL,
  accepted BIGINT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY(project, key));
CREATE INDEX batches_by_time ON batches(created_at);
CREATE TABLE hist(project TEXT NOT NULL, name TEXT NOT NULL, bucket BIGINT NOT NULL,
  version TEXT NOT NULL DEFAULT '', instance TEXT NOT NULL DEFAULT '', hbucket INTEGER NOT NULL,
  calls BIGINT NOT NULL, PRIMARY KEY(project, name, hbucket, bucket, version, instance));
"""

DATA_4 = """
INSERT INTO functions VALUES('old', 'old.fn', 'engine', 3, 60, 180, 'o.c', 7);
INSERT INTO counts(project, name, bucket, version, instance, calls, errors, total_ms)
  VALUES('old', 'old.fn', 60, '', '', 40, 2, 80.0);
INSERT INTO totals VALUES('old', 40, 2, 80.0);
INSERT INTO hist VALUES('old', 'old.fn', 60, '', '', 400, 40);
"""


def test_migration(tmp):
    if harness.BACKEND == "sqlite":
        db = os.path.join(tmp, "old.db")
        con = sqlite3.connect(db)
        con.executescript(SCHEMA_4_SQLITE + DATA_4 + "PRAGMA user_version = 4;")
        con.close()
        version = lambda: harness.query(db, "PRAGMA user_version")[0][0]
    else:
        db = harness.PG.create_db()
        harness.query(db, SCHEMA_4_PG + DATA_4)
        version = lambda: harness.query(db, "SELECT version FROM codensm_schema")[0][0]
    check(version() == 4, "made at schema 4")
    f = cli_fns(db, "--since", "all")["old.fn"]
    check((f["calls"], f["errors"], f["total_ms"], f["file"], f["line"], f["callers"],
           f["root_causes"], f["self_ms"]) == (40, 2, 80.0, "o.c", 7, [], [], 80.0),
          "after migration %r" % f)
    check(version() == 8, "migrated to the current schema, 8: %r" % version())
    key = harness.key_create(db, "old")
    with harness.Collector(db) as srv:
        ok(srv, key, [{"name": "old.fn", "calls": 1, "errors": 1,
                       "callers": [{"name": "old.main", "calls": 1}],
                       "root_causes": [{"name": "old.fn", "errors": 1}]}])
    f = cli_fns(db, "--since", "all")["old.fn"]
    check((f["calls"], pairs(f["callers"], "calls"), pairs(f["root_causes"], "errors"))
          == (41, [("old.main", 1)], [("old.fn", 1)]), "extensions after migration %r" % f)


def test(tmp):
    for part in (test_figures, test_refusals, test_idempotency, test_retention, test_scale,
                 test_migration):
        sub = os.path.join(tmp, part.__name__)
        os.mkdir(sub)
        part(sub)


if __name__ == "__main__":
    harness.main(test)
