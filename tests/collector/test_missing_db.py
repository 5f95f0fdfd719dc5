# SPDX-License-Identifier: Apache-2.0
"""test_missing_db.py - a read-only command never creates a database.

`report` and `key list` on a path where no database exists (a typo in
--db) fail with exit status 1 and a message naming the path, and leave
no file behind; `key create` may create the database."""
import os
import subprocess

import harness
from harness import check


def run(*args):
    return subprocess.run([harness.BIN] + list(args), capture_output=True,
                          text=True, timeout=60)


def test(tmp):
    missing = os.path.join(tmp, "typo.db")
    for args in (["report", "--db", missing], ["report", "--json", "--db", missing],
                 ["key", "list", "--db", missing],
                 ["key", "revoke", "cnsm_12345678", "--db", missing]):
        p = run(*args)
        check(p.returncode == 1, "%s: exit %d, wanted 1 (%s)" % (args, p.returncode, p.stderr))
        check(missing in p.stderr and "no database" in p.stderr,
              "%s: unclear message %r" % (args, p.stderr))
        check(os.listdir(tmp) == [], "%s left files: %r" % (args, os.listdir(tmp)))
    harness.key_create(missing, "shop")  # key create makes the database
    check(os.path.exists(missing), "key create made no database")
    out = harness.cli("report", "--db", missing)
    check("shop" in out, "report on the created database: %r" % out)


if __name__ == "__main__":
    harness.main(test)
