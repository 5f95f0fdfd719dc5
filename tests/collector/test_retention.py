# SPDX-License-Identifier: Apache-2.0
"""test_retention.py - old buckets rolled up, the oldest dropped, sums kept.

Counts ingested over HTTP plus rows of older minutes (written straight
into counts, as if ingested then), under two versions.  `compact --now T`
rolls minutes older than --retain-minutes into hours, hours older than
--retain-hours into days, and drops buckets older than --retain-days:
after each step every bucket has the granularity it should, fewer rows
remain, and the report's calls, errors and total_ms - per function, per
version and all time - are exactly what they were.  `serve` applies the
policy by itself at start.  Bad options are refused.  Runs on SQLite, and
on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import time

import harness
from harness import check

DAY = 86400


def figures(db):
    """{(version, function): (calls, errors, total_ms)}, all time."""
    out = {}
    for version in (None, "1.0", "2.0"):
        args = ["report", "--db", db, "--since", "all", "--json"]
        if version is not None:
            args += ["--version", version]
        doc = json.loads(harness.cli(*args))
        for f in doc["projects"][0]["functions"]:
            out[(version, f["name"])] = (f["calls"], f["errors"], f["total_ms"])
    return out


def buckets(db):
    return [r[0] for r in harness.query(db, "SELECT bucket FROM counts")]


def test(tmp):
    db, key = harness.shop_database(tmp)
    now = int(time.time())
    with harness.Collector(db) as srv:
        for version, calls in (("1.0", 7), ("2.0", 11)):
            status, _ = srv.ingest({"functions": [
                {"name": "shop.pay", "calls": calls, "errors": 1, "total_ms": 3},
                {"name": "shop.cart", "calls": 2 * calls, "total_ms": 5}]}, key,
                extra_headers={"X-CodeNSM-Version": version})
            check(status == 200, "ingest %d" % status)
    # Older minutes, as if ingested then: 3 hours back, a minute apart.  One
    # statement: on PostgreSQL each query is a psql process (300 took 45 s).
    base = now - now % 60 - 3 * 3600
    rows = [("shop.pay" if i % 3 else "shop.cart", base + 60 * i, version, i + 1, i % 2, 0.5 * i)
            for i in range(150) for version in ("1.0", "2.0")]
    harness.query(db, "INSERT INTO counts(project, name, bucket, version, instance, calls,"
                      " errors, total_ms) VALUES "
                      + ", ".join(["('shop', ?, ?, ?, '', ?, ?, ?)"] * len(rows)),
                  [v for row in rows for v in row])
    before = figures(db)
    nrows = len(buckets(db))

    out = harness.cli("compact", "--db", db, "--now", str(now + 8 * DAY),
                      "--retain-minutes", "7d", "--retain-hours", "30d")
    check("rolled into hours" in out, "compact said %r" % out)
    check(all(b % 3600 == 0 for b in buckets(db)), "minutes left: %r" % buckets(db)[:5])
    check(len(buckets(db)) < nrows, "no fewer rows")
    check(figures(db) == before, "hours changed the sums:\n%r\n%r" % (figures(db), before))

    harness.cli("compact", "--db", db, "--now", str(now + 40 * DAY),
                "--retain-minutes", "7d", "--retain-hours", "30d")
    check(all(b % DAY == 0 for b in buckets(db)), "hours left: %r" % buckets(db)[:5])
    check(figures(db) == before, "days changed the sums")
    # Run twice: nothing moves, nothing is counted again.
    harness.cli("compact", "--db", db, "--now", str(now + 40 * DAY),
                "--retain-minutes", "7d", "--retain-hours", "30d")
    check(figures(db) == before, "a second run changed the sums")

    # The server applies the policy at start: minutes of an hour ago.
    harness.query(db, "INSERT INTO counts(project, name, bucket, version, instance, calls,"
                      " errors, total_ms) VALUES('shop', 'shop.pay', ?, '', '', 5, 0, 1)",
                  (now - now % 3600 - 7200 + 60,))
    with harness.Collector(db, ["--retain-minutes", "1h", "--retain-hours", "30d"]) as srv:
        deadline = time.time() + 20
        while "retention:" not in srv.logtext() and time.time() < deadline:
            time.sleep(0.05)
        check("retention: 1 rows rolled into hours" in srv.logtext(), srv.logtext())
    check(all(b % 3600 == 0 for b in buckets(db)), "serve did not roll up")
    check(figures(db)[(None, "shop.pay")][0] == before[(None, "shop.pay")][0] + 5, "sum kept")

    out = harness.cli("compact", "--db", db, "--now", str(now + 400 * DAY), "--retain-days",
                      "365d")
    check(buckets(db) == [], "dropped past --retain-days: %r" % buckets(db))
    check(all(v[0] == 0 for v in figures(db).values()), "dropped counts still reported")

    for bad in (["--retain-minutes", "90d", "--retain-hours", "1d"],
                ["--retain-days", "forever"], ["--now", "soon"]):
        code, _, err = harness.cli_result("compact", "--db", db, *bad)
        check(code == 2 and err.count("\n") == 1, "%r: %d %r" % (bad, code, err))


if __name__ == "__main__":
    harness.main(test)
