# SPDX-License-Identifier: Apache-2.0
"""test_health.py - a database that is gone makes the collector say so.

While the collector runs, its database file is deleted (first run) or
its directory is replaced by a new, empty one (second run).  /healthz
must then answer 503 with {"ok": false, "error": ...}, and ingest must
answer 503 so senders keep their data and retry, instead of 200 for a
write into a file nobody can open again."""
import os
import shutil

import harness
from harness import check

BODY = {"functions": [{"name": "svc.handle", "calls": 3, "total_ms": 1}]}


def expect_failing(srv, key, what):
    status, body, _ = srv.request("/healthz")
    check(status == 503, "%s: /healthz %d %r" % (what, status, body))
    check(b'"ok":false' in body and b'"error"' in body, "%s: /healthz body %r" % (what, body))
    status, reply = srv.ingest(BODY, key)
    check(status == 503 and "error" in reply, "%s: ingest %d %r" % (what, status, reply))


def run(tmp, name, damage):
    d = os.path.join(tmp, name)
    os.mkdir(d)
    db = os.path.join(d, "c.db")
    key = harness.key_create(db, "svc")
    with harness.Collector(db) as srv:
        status, body, _ = srv.request("/healthz")
        check(status == 200 and b'"ok":true' in body, "healthy at start: %d %r" % (status, body))
        status, _ = srv.ingest(BODY, key)
        check(status == 200, "ingest at start: %d" % status)
        damage(d, db)
        expect_failing(srv, key, name)
        check("database" in srv.logtext().split("listening on", 1)[1],
              "%s: the failure is not in the log" % name)


def delete_file(d, db):
    os.remove(db)


def replace_directory(d, db):
    shutil.move(d, d + ".old")
    os.mkdir(d)


def test(tmp):
    run(tmp, "deleted", delete_file)
    run(tmp, "replaced", replace_directory)


if __name__ == "__main__":
    harness.main(test)
