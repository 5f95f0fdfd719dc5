# SPDX-License-Identifier: Apache-2.0
"""test_batches.py - a large batch is stored whole or not at all.

On PostgreSQL a batch's functions and counts go as arrays, three
statements per round of repeated names (store_pg_batch.c), and the
statements in libpq's pipeline mode, synced every 512 (store_pg.c); on
SQLite one UPSERT per element.  Over real HTTP, on either backend
(CMakeLists.txt runs it on both):
- 1,500 elements, each of 500 names three times: calls and errors are
  summed, total_ms too in the order sent (bit for bit: 0.1, 0.2, 0.3
  make 0.6000000000000001, not 0.6), the last department and weight sent
  win (an element without one keeps the earlier one), the project's
  totals match, the Idempotency-Key is recorded once, and the batch sent
  again is a duplicate that changes nothing;
- a failure late in a batch (a trigger the test installs raises on a
  count of 777, sent as the 590th of 600 elements of one name: on
  PostgreSQL round 590 of 600, past three syncs): 503, and nothing of
  the batch is stored - no counts, functions, totals or key; on the same
  connection (--threads 1) the next batches are stored, and the same
  batch under the same key, once the trigger is gone, is stored as new
  (the failed one recorded no key)."""
import harness
from harness import check

NAMES = 500
IDEM = "big-batch-0123456789-a"


def big_batch():
    """3 * NAMES elements: svc.0 ... svc.(NAMES-1), three rounds."""
    fns = []
    for r in range(3):
        for i in range(NAMES):
            fn = {"name": "svc.%d" % i, "calls": i + r + 1, "errors": r,
                  "total_ms": 0.1 * (r + 1) if i == 7 else 0.5 * (i + 1)}
            if r != 2 or i % 2:  # round 2 of even names sends no department
                fn["department"] = "d%d-%d" % (r, i % 7)
                fn["value_weight"] = r + 1
            fns.append(fn)
    return {"functions": fns}


def failing_batch():
    """big_batch() and 600 elements of svc.rep, the 590th of 777 calls."""
    fns = big_batch()["functions"]
    fns += [{"name": "svc.rep", "calls": 777 if k == 589 else 1} for k in range(600)]
    return {"functions": fns}


def expected(batch):
    sums, deps = {}, {}
    for fn in batch["functions"]:
        s = sums.setdefault(fn["name"], [0, 0, 0.0])
        s[0] += fn["calls"]
        s[1] += fn.get("errors", 0)
        s[2] += fn.get("total_ms", 0.0)
        if "department" in fn:
            deps[fn["name"]] = (fn["department"], float(fn["value_weight"]))
    return sums, deps


def check_stored(db, batch, times):
    sums, deps = expected(batch)
    got = harness.totals(db, "big")
    check(sorted(got) == sorted(sums), "functions with counts: %d of %d" % (len(got), len(sums)))
    for name, (calls, errors, ms) in sums.items():
        c, e, t = got[name]
        check((c, e) == (calls * times, errors * times) and abs(t - ms * times) < 1e-6,
              "%s: stored %r, sent %r x%d" % (name, got[name], sums[name], times))
    exact = [r[0] for r in harness.query(
        db, "SELECT total_ms FROM counts WHERE project = 'big' AND name = 'svc.7'")]
    check(times != 1 or exact == [0.1 + 0.2 + 0.3],
          "svc.7's total_ms %r, the sum in the order sent %r" % (exact, 0.1 + 0.2 + 0.3))
    for name, dep, weight in harness.query(
            db, "SELECT name, department, value_weight FROM functions WHERE project = 'big'"):
        check((dep, float(weight)) == deps[name],
              "%s: department/weight %r, last sent %r" % (name, (dep, weight), deps[name]))
    want = [sum(s[k] for s in sums.values()) * times for k in range(3)]
    t = harness.query(db, "SELECT calls, errors, total_ms FROM totals WHERE project = 'big'")[0]
    check(list(t[:2]) == want[:2] and abs(float(t[2]) - want[2]) < 1e-6,
          "totals %r, sent %r" % (t, want))


def install_trigger(db):
    if harness.is_pg(db):
        harness.query(db, "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS"
                          " $$BEGIN RAISE EXCEPTION 'boom'; END$$;"
                          " CREATE TRIGGER boom BEFORE INSERT ON counts FOR EACH ROW"
                          " WHEN (NEW.calls = 777) EXECUTE FUNCTION boom()")
    else:
        harness.query(db, "CREATE TRIGGER boom BEFORE INSERT ON counts"
                          " WHEN NEW.calls = 777 BEGIN SELECT RAISE(ABORT, 'boom'); END")


def batches_rows(db):
    return harness.query(db, "SELECT COUNT(*) FROM batches")[0][0]


def test_failure_late(tmp):
    db = harness.new_db(tmp, "late.db")
    key = harness.key_create(db, "big")
    install_trigger(db)
    failing = failing_batch()
    # A fresh server's first batch fails: statements first prepared after
    # the failure never were, and must be prepared again later.
    with harness.Collector(db, ["--threads", "1"]) as srv:
        before = harness.snapshot(db)
        status, reply = srv.ingest(failing, key, extra_headers={"Idempotency-Key": IDEM})
        check(status == 503 and "error" in reply, "a failing batch: %d %r" % (status, reply))
        check(harness.snapshot(db) == before, "a failed batch changed counts or functions")
        check(harness.query(db, "SELECT COUNT(*) FROM totals")[0][0] == 0, "totals written")
        check(batches_rows(db) == 0, "the failed batch's key was recorded")
        check("boom" in srv.logtext(), "the cause is not in the log")

        small = {"functions": [{"name": "svc.after", "calls": 2, "total_ms": 1}]}
        for i in range(3):
            status, reply = srv.ingest(small, key)
            check(status == 200, "batch %d after the failure: %d %r" % (i, status, reply))
        check(harness.totals(db, "big")["svc.after"][0] == 6, "the batches after are stored")

        harness.query(db, "DROP TRIGGER boom ON counts" if harness.is_pg(db)
                      else "DROP TRIGGER boom")
        status, reply = srv.ingest(failing, key, extra_headers={"Idempotency-Key": IDEM})
        check(status == 200 and not reply.get("duplicate") and reply["accepted"] == 3 * NAMES + 600,
              "the same batch and key once the trigger is gone: %d %r" % (status, reply))
        check(harness.totals(db, "big")["svc.rep"][0] == 599 + 777, "stored once")


def test_big_batch(tmp):
    db = harness.new_db(tmp, "big.db")
    key = harness.key_create(db, "big")
    batch = big_batch()
    with harness.Collector(db) as srv:
        status, reply = srv.ingest(batch, key, extra_headers={"Idempotency-Key": IDEM})
        check(status == 200 and reply == {"accepted": 3 * NAMES}, "first: %d %r" % (status, reply))
        check_stored(db, batch, 1)
        check(batches_rows(db) == 1, "one key recorded")
        status, reply = srv.ingest(batch, key, extra_headers={"Idempotency-Key": IDEM})
        check(status == 200 and reply.get("duplicate") is True, "again: %d %r" % (status, reply))
        check_stored(db, batch, 1)
        status, reply = srv.ingest(batch, key)
        check(status == 200, "without a key: %d %r" % (status, reply))
        check_stored(db, batch, 2)


def test(tmp):
    test_big_batch(tmp)
    test_failure_late(tmp)


if __name__ == "__main__":
    harness.main(test)
