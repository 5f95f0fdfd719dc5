# SPDX-License-Identifier: Apache-2.0
"""test_labels.py - the labels of a batch, X-CodeNSM-Version and
X-CodeNSM-Instance, over real HTTP into a real SQLite file: stored per
bucket beside the counts (absent: ""); a label that is not 0..128
characters of visible ASCII is refused whole (400, nothing stored);
`report --version/--instance` and /api/report?version=&instance= keep
only the matching counts, alone or together, and list the labels there
are; a key stored under one label and resent under another is still a
duplicate (the idempotency logic ignores the labels); and a database of
schema 2, written before the labels, migrates with its rows under empty
labels and its sums unchanged."""
import json
import os
import sqlite3

import harness
from harness import check


def batch(calls, errors, total_ms, name="shop.pay"):
    return {"functions": [{"name": name, "department": "engine", "value_weight": 2,
                           "calls": calls, "errors": errors, "total_ms": total_ms}]}


def labels(version=None, instance=None):
    h = {}
    if version is not None:
        h["X-CodeNSM-Version"] = version
    if instance is not None:
        h["X-CodeNSM-Instance"] = instance
    return h


def fn(report, name="shop.pay"):
    for f in report["functions"]:
        if f["name"] == name:
            return f
    harness.fail("no %s in %r" % (name, report["functions"]))


def cli_fn(db, *args, name="shop.pay"):
    out = json.loads(harness.cli("report", "--db", db, "--json", "--since", "all", *args))
    return fn(out["projects"][0], name)


def test_filters(tmp):
    db = harness.new_db(tmp, "labels.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        sends = [(batch(10, 1, 20), labels("1.2", "host-a")),
                 (batch(100, 5, 100), labels("1.3", "host-a")),
                 (batch(1000, 0, 500), labels("1.3", "host-b")),
                 (batch(7, 0, 7), {})]
        for body, headers in sends:
            status, reply = srv.ingest(body, key, extra_headers=headers)
            check(status == 200, "ingest %d %r" % (status, reply))

        rows = harness.query(
            db, "SELECT version, instance, SUM(calls) FROM counts GROUP BY 1, 2 ORDER BY 1, 2",
            text=True)
        rows = [(v, i, int(c)) for v, i, c in rows]
        check(rows == [("", "", 7), ("1.2", "host-a", 10), ("1.3", "host-a", 100),
                       ("1.3", "host-b", 1000)], "stored labels %r" % rows)

        # The CLI, one filter, the other, both, and the unlabelled counts.
        for args, calls, errors in [((), 1117, 6), (("--version", "1.2"), 10, 1),
                                    (("--version", "1.3"), 1100, 5),
                                    (("--instance", "host-a"), 110, 6),
                                    (("--version", "1.3", "--instance", "host-b"), 1000, 0),
                                    (("--version", ""), 7, 0)]:
            f = cli_fn(db, *args)
            check((f["calls"], f["errors"]) == (calls, errors),
                  "report %r: %r, wanted %d calls %d errors" % (args, f, calls, errors))
        f = cli_fn(db, "--version", "1.2")
        check(abs(f["mean_ms"] - 2.0) < 1e-9, "mean of version 1.2: %r" % f)
        table = harness.cli("report", "--db", db, "--since", "all", "--version", "1.2")
        check('version "1.2"' in table and " 10 " in table, "table:\n" + table)
        out = json.loads(harness.cli("report", "--db", db, "--json", "--since", "all",
                                     "--version", "9.9"))
        check(fn(out["projects"][0])["calls"] == 0, "unknown version counts %r" % out)

        # The API, with the same filters, and the labels there are.
        r = srv.get_json("/api/report?since=all&version=1.3&instance=host-a")
        check((fn(r)["calls"], fn(r)["errors"]) == (100, 5), "api both: %r" % fn(r))
        check(r["labels"]["version"] == "1.3" and r["labels"]["instance"] == "host-a",
              "api echoes the filter: %r" % r["labels"])
        check(r["labels"]["versions"] == ["", "1.2", "1.3"], "versions %r" % r["labels"])
        check(r["labels"]["instances"] == ["", "host-a", "host-b"], "instances %r" % r["labels"])
        check(r["totals"]["calls"] == 100, "api totals %r" % r["totals"])
        r = srv.get_json("/api/report?since=all&instance=host-b")
        check(fn(r)["calls"] == 1000, "api instance: %r" % fn(r))
        r = srv.get_json("/api/report?since=all")
        check(fn(r)["calls"] == 1117 and r["labels"]["version"] is None, "api all: %r" % r["labels"])
        status, body, _ = srv.request("/api/report?since=all&version=a%20b")
        check(status == 400, "a bad filter: %d %r" % (status, body))
        rc, _, err = harness.cli_result("report", "--db", db, "--version", "a b")
        check(rc == 2 and "--version" in err, "CLI bad filter: %d %r" % (rc, err))


def test_refusals(tmp):
    db = harness.new_db(tmp, "refusals.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        before = harness.snapshot(db)
        for headers, field in [(labels("1.2 beta"), "X-CodeNSM-Version"),
                               (labels("v" * 129), "X-CodeNSM-Version"),
                               (labels("1.2", "h\u00e9te"), "X-CodeNSM-Instance"),
                               (labels(None, "x" * 200), "X-CodeNSM-Instance")]:
            status, reply = srv.ingest(batch(5, 0, 1), key, extra_headers=headers)
            check(status == 400 and reply.get("field") == field,
                  "%r: %d %r" % (headers, status, reply))
        check(harness.snapshot(db) == before, "a refused batch changed the database")
        status, reply = srv.ingest(batch(5, 0, 1), key, extra_headers=labels("v" * 128, "i" * 128))
        check(status == 200, "128 characters are allowed: %d %r" % (status, reply))

        # The Idempotency-Key names the batch, whatever its labels.
        idem = "labels-key-0123456789"
        h = dict(labels("2.0", "a"), **{"Idempotency-Key": idem})
        status, reply = srv.ingest(batch(3, 0, 1, "shop.idem"), key, extra_headers=h)
        check(status == 200 and not reply.get("duplicate"), "first %d %r" % (status, reply))
        h = dict(labels("2.1", "b"), **{"Idempotency-Key": idem})
        status, reply = srv.ingest(batch(3, 0, 1, "shop.idem"), key, extra_headers=h)
        check(status == 200 and reply.get("duplicate") is True, "resent %d %r" % (status, reply))
        rows = harness.query(
            db, "SELECT version, instance, SUM(calls) FROM counts WHERE name = 'shop.idem'"
                " GROUP BY 1, 2", text=True)
        rows = [(v, i, int(c)) for v, i, c in rows]
        check(rows == [("2.0", "a", 3)], "stored once, under the first labels: %r" % rows)


# Schema 2 as the collector before the labels created it (store.c's
# migrations 1 and 2), with rows in it.
SCHEMA_2 = """
CREATE TABLE keys(id INTEGER PRIMARY KEY, project TEXT NOT NULL, hash BLOB NOT NULL UNIQUE,
  hint TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE functions(project TEXT NOT NULL, name TEXT NOT NULL, department TEXT NOT NULL,
  value_weight REAL NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  PRIMARY KEY(project, name)) WITHOUT ROWID;
CREATE TABLE counts(project TEXT NOT NULL, name TEXT NOT NULL, bucket INTEGER NOT NULL,
  calls INTEGER NOT NULL, errors INTEGER NOT NULL, total_ms REAL NOT NULL,
  PRIMARY KEY(project, name, bucket)) WITHOUT ROWID;
CREATE INDEX counts_by_bucket ON counts(project, bucket);
CREATE TABLE totals(project TEXT PRIMARY KEY, calls INTEGER NOT NULL, errors INTEGER NOT NULL,
  total_ms REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE batches(project TEXT NOT NULL, key TEXT NOT NULL, body_hash BLOB NOT NULL,
  accepted INTEGER NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY(project, key)) WITHOUT ROWID;
CREATE INDEX batches_by_time ON batches(created_at);
INSERT INTO functions VALUES('old', 'old.fn', 'engine', 3, 60, 180);
INSERT INTO counts VALUES('old', 'old.fn', 60, 40, 2, 80.0);
INSERT INTO counts VALUES('old', 'old.fn', 120, 60, 3, 20.0);
INSERT INTO totals VALUES('old', 100, 5, 100.0);
PRAGMA user_version = 2;
"""


def test_migration(tmp):
    db = os.path.join(tmp, "old.db")
    con = sqlite3.connect(db)
    con.executescript(SCHEMA_2)
    con.close()
    f = cli_fn(db, name="old.fn")
    check((f["calls"], f["errors"], f["total_ms"]) == (100, 5, 100.0), "after migration %r" % f)
    con = sqlite3.connect(db)
    # Migrated to the current schema (5 since callers and causes:
    # test_edges.py; 6 since each table's index by minute: retention's slices;
    # 7 since the all-time sums and the labels table: test_totals.py).
    check(con.execute("PRAGMA user_version").fetchone()[0] == 8, "schema version")
    indexes = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    check({"counts_by_bucket", "hist_by_bucket", "callers_by_bucket", "causes_by_bucket"}
          <= indexes, "indexes by minute: %r" % sorted(indexes))
    rows = con.execute("SELECT bucket, version, instance, calls, errors, total_ms FROM counts"
                       " ORDER BY bucket").fetchall()
    check(rows == [(60, "", "", 40, 2, 80.0), (120, "", "", 60, 3, 20.0)], "migrated rows %r" % rows)
    con.close()
    check(cli_fn(db, "--version", "", name="old.fn")["calls"] == 100, "old rows are the unlabelled ones")
    check(cli_fn(db, "--version", "1.0", name="old.fn")["calls"] == 0, "old rows have no version")
    # The migrated file takes labelled batches beside the old rows.
    key = harness.key_create(db, "old")
    with harness.Collector(db) as srv:
        status, _ = srv.ingest(batch(4, 0, 4, "old.fn"), key, extra_headers=labels("1.0", "h"))
        check(status == 200, "ingest after migration %d" % status)
    check(cli_fn(db, "--version", "1.0", name="old.fn")["calls"] == 4, "labelled after migration")
    check(cli_fn(db, name="old.fn")["calls"] == 104, "all after migration")


def test(tmp):
    # The migration from a schema 2 file is SQLite's: its own statements.
    parts = (test_filters, test_refusals) + ((test_migration,) if harness.BACKEND == "sqlite" else ())
    for part in parts:
        sub = os.path.join(tmp, part.__name__)
        os.mkdir(sub)
        part(sub)


if __name__ == "__main__":
    harness.main(test)
