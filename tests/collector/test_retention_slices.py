# SPDX-License-Identifier: Apache-2.0
"""test_retention_slices.py - retention never shuts ingest out.

A database of 5,000 functions over 150 old minutes (750,000 rows of
counts, written straight into the file), served with --retain-minutes 1h:
`serve` folds them into hours as it starts.  As one write
transaction that took SQLite's write lock for longer than ingest waits
(10 s), and every sender meanwhile got 503 (a helper's trial: 55 s of
503s on 20,000 functions).  One project's minute at a time, ingest goes
on: every request sent while the fold runs is stored (200), none waits
more than a few seconds, and the all-time figures are exactly what they
were.  SQLite only: PostgreSQL's retention is test_retention.py's."""
import json
import os
import sqlite3
import threading
import time

import harness
from harness import check

FUNCTIONS = 5000
MINUTES = 150


def figures(db):
    doc = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json"))
    p = doc["projects"][0]
    return p["totals"]["calls"], p["totals"]["errors"], len(p["functions"])


def test(tmp):
    db, key = harness.shop_database(tmp)
    now = int(time.time())
    base = now - now % 3600 - 4 * 3600  # whole hours, all older than 1h
    con = sqlite3.connect(db)
    con.executemany(
        "INSERT INTO functions(project, name, department, value_weight, first_seen, last_seen)"
        " VALUES ('shop', ?, 'x', 1, ?, ?)",
        [("old.f%d" % f, base, base) for f in range(FUNCTIONS)])
    con.executemany(
        "INSERT INTO counts(project, name, bucket, version, instance, calls, errors, total_ms)"
        " VALUES ('shop', ?, ?, '', '', 2, 1, 0.5)",
        ((("old.f%d" % f), base + 60 * m) for m in range(MINUTES) for f in range(FUNCTIONS)))
    con.commit()
    con.close()
    calls, errors, nfunctions = figures(db)

    answers = []  # (status, seconds)
    stop = threading.Event()

    def sender(srv):
        while not stop.is_set():
            t = time.monotonic()
            status, _ = srv.ingest({"functions": [{"name": "live.f", "calls": 1}]}, key)
            answers.append((status, time.monotonic() - t))
            time.sleep(0.05)

    with harness.Collector(db, ["--retain-minutes", "1h"]) as srv:
        thread = threading.Thread(target=sender, args=(srv,))
        thread.start()
        deadline = time.time() + 240
        while "retention:" not in srv.logtext() and time.time() < deadline:
            time.sleep(0.2)
        stop.set()
        thread.join(timeout=30)
        log = srv.logtext()
    check("retention:" in log, "no retention pass in 240 s:\n" + log[-2000:])
    refused = [a for a in answers if a[0] != 200]
    check(answers and not refused, "%d of %d ingests refused during retention: %r"
          % (len(refused), len(answers), refused[:5]))
    slowest = max(s for _, s in answers)
    bound = 15 if os.environ.get("CNSM_SANITIZED") else 3
    check(slowest < bound, "an ingest waited %.1f s for retention" % slowest)
    hours = harness.query(db, "SELECT COUNT(DISTINCT bucket) FROM counts WHERE name LIKE 'old.%'")
    check(hours[0][0] == (MINUTES + 59) // 60, "%d minutes folded into %d hours: %r buckets"
          % (MINUTES, (MINUTES + 59) // 60, hours))
    after = figures(db)
    check(after == (calls + len(answers), errors, nfunctions + 1),
          "figures changed: %r -> %r (+%d live calls)" % ((calls, errors, nfunctions), after,
                                                          len(answers)))


if __name__ == "__main__":
    harness.main(test)
