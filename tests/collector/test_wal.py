# SPDX-License-Identifier: Apache-2.0
"""test_wal.py - a SQLite WAL grown behind a long read shrinks again.

A checkpoint cannot pass a reader's snapshot, so while a read
transaction stays open the -wal file grows with every batch; SQLite
never shrinks it by itself (a trial collector's was 1.5 GB beside a
450 MB database).  Here a second connection holds BEGIN; SELECT while
batches with histograms grow the WAL past the collector's limit (64 MiB,
store_sqlite.c), then lets go: with no batch after, the WAL must be back
under the limit within 30 s (serve's periodic tidy truncates it), and
with batches after a second grown WAL, too; every batch is stored and
the file is whole.  SQLite only."""
import os
import sqlite3
import time

import harness
from harness import check

LIMIT = 64 << 20  # SQLITE_WAL_LIMIT in store_sqlite.c


def batch(per=2000):
    """The same functions each time: every commit rewrites their pages
    into the WAL, and a minute holds 20,000 histogram rows however many
    batches it takes (the fold of a minute of 840,000 new ones held the
    write lock past ingest's 10 s under ThreadSanitizer)."""
    return {"functions": [{"name": "wal.f%d" % i, "calls": 5, "total_ms": 1.5,
                           "hist": [[100 + 7 * k, 1] for k in range(10)]}
                          for i in range(per)]}


def grow_behind_reader(srv, db, key, sent):
    """Holds a read transaction open while batches grow the WAL past the
    limit; returns the reader (still open) and the batches sent."""
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM counts").fetchall()
    wal = db + "-wal"
    while os.path.getsize(wal) <= LIMIT + (8 << 20):
        check(sent < 400, "the WAL did not pass %d bytes: %d" % (LIMIT, os.path.getsize(wal)))
        status, doc = srv.ingest(batch(), key)
        check(status == 200, "ingest behind the reader %d %r:\n%s"
              % (status, doc, srv.logtext()[-2000:]))
        sent += 1
    return reader, sent


def wait_small(db, what, seconds=30):
    wal = db + "-wal"
    t0 = time.monotonic()
    ok = harness.wait_for(lambda: os.path.getsize(wal) <= LIMIT, seconds)
    check(ok, "%s: the WAL is still %d bytes %d s after the reader let go"
          % (what, os.path.getsize(wal), seconds))
    return time.monotonic() - t0


def test(tmp):
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv:
        reader, sent = grow_behind_reader(srv, db, key, 0)
        grown = os.path.getsize(db + "-wal")
        reader.execute("COMMIT")
        reader.close()
        took = wait_small(db, "no batch after")
        print("WAL %d MB after %d batches behind a reader; %d bytes %.1f s after it let go"
              % (grown >> 20, sent, os.path.getsize(db + "-wal"), took))
        reader, sent = grow_behind_reader(srv, db, key, sent)
        reader.execute("COMMIT")
        reader.close()
        for _ in range(3):
            status, doc = srv.ingest(batch(50), key)
            check(status == 200, "ingest after the reader %d %r:\n%s"
                  % (status, doc, srv.logtext()[-2000:]))
            sent += 1
        wait_small(db, "batches after")
    functions = 2000 * (sent - 3) + 50 * 3
    check(harness.query(db, "SELECT SUM(calls) FROM counts") == [(5 * functions,)],
          "every batch stored")
    check(harness.query(db, "PRAGMA integrity_check") == [("ok",)], "the file is whole")


if __name__ == "__main__":
    harness.main(test)
