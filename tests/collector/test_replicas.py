# SPDX-License-Identifier: Apache-2.0
"""test_replicas.py - stateless replicas on one PostgreSQL database.

A throwaway PostgreSQL (harness.Postgres) and two `serve` processes on
the same database, over real HTTP:
- concurrent clients spread over both replicas: the stored sums are
  exactly the sums sent, and each replica reports them all;
- a replica killed with SIGKILL during load: every batch carries an
  Idempotency-Key, a sender whose answer never came retries on the other
  replica; in the end each batch is counted exactly once (nothing
  acknowledged lost, nothing counted twice);
- the same Idempotency-Key to replica A then B: stored once;
- version and instance filters through the other replica;
- read tokens: 401 without, 200 with, on a PostgreSQL-backed replica;
- a key revoked through the CLI is refused at once by both replicas
  (no cache);
- PostgreSQL stopped: /healthz and ingest answer 503; restarted: the
  replicas reconnect by themselves and ingest again.
Runs on PostgreSQL whatever CNSM_TEST_BACKEND says."""
import json
import os
import signal
import threading
import urllib.error
import urllib.request

import harness
from harness import check

TOKEN = "replica-read-token-0123"
CLIENTS = 6
BATCHES = 40


def post(port, key, body, idem=None, headers=None):
    """POSTs a batch; returns (status, reply) or (None, error) if the
    connection failed (no answer: not acknowledged)."""
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    if idem:
        h["Idempotency-Key"] = idem
    h.update(headers or {})
    req = urllib.request.Request("http://127.0.0.1:%d/codensm/ingest" % port,
                                 json.dumps(body).encode(), h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, ValueError) as e:
        return None, str(e)


def batch(client, i):
    return {"functions": [{"name": "fn.%d" % (i % 5), "department": "d",
                           "calls": client * 1000 + i + 1, "errors": i % 3,
                           "total_ms": float(i + 1)}]}


def expected_sums():
    calls = errors = 0
    ms = 0.0
    for c in range(CLIENTS):
        for i in range(BATCHES):
            b = batch(c, i)["functions"][0]
            calls += b["calls"]
            errors += b["errors"]
            ms += b["total_ms"]
    return calls, errors, ms


def report_totals(srv, token=None):
    h = {"Authorization": "Bearer " + token} if token else {}
    status, body, _ = srv.request("/api/report?since=all&limit=0", headers=h)
    check(status == 200, "report %d %r" % (status, body[:200]))
    t = json.loads(body)["totals"]
    return t["calls"], t["errors"], t["total_ms"]


def sender(ports, key, client, failures, kill_after=None, victim=None):
    """Sends BATCHES batches alternating between replicas; a batch whose
    answer is lost is retried with the same key on the last replica."""
    for i in range(BATCHES):
        if kill_after is not None and client == 0 and i == kill_after:
            victim.proc.send_signal(signal.SIGKILL)
        idem = "client-%d-batch-%04d-load" % (client, i)
        status, reply = post(ports[i % len(ports)], key, batch(client, i), idem)
        if status != 200:
            status, reply = post(ports[-1], key, batch(client, i), idem)
        if status != 200:
            failures.append((client, i, status, reply))


def load(ports, key, kill_after=None, victim=None):
    failures = []
    threads = [threading.Thread(target=sender, args=(ports, key, c, failures, kill_after, victim))
               for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    check(not failures, "batches never acknowledged: %r" % failures[:3])


def test_sums_and_kill(pg, tmp):
    db = pg.create_db()
    key = harness.key_create(db, "load")
    extra = ["--read-token", TOKEN]
    with harness.Collector(db, extra) as a, harness.Collector(db, extra) as b:
        load([a.port, b.port], key)
        want = expected_sums()
        for srv in (a, b):
            got = report_totals(srv, TOKEN)
            check(got[:2] == want[:2] and abs(got[2] - want[2]) < 1e-6,
                  "replica %d sums %r, sent %r" % (srv.port, got, want))
        check(harness.totals(db, "load") != {}, "rows stored")

        # Read tokens on a PostgreSQL-backed replica.
        for path in ("/api/projects", "/metrics", "/api/report?since=all"):
            status, _, hdr = b.request(path)
            check(status == 401 and "Bearer" in hdr.get("WWW-Authenticate", ""),
                  "%s without token: %d" % (path, status))
            status, _, _ = b.request(path, headers={"Authorization": "Bearer wrong-token-0123456"})
            check(status == 401, "%s with a wrong token: %d" % (path, status))
            status, _, _ = b.request(path, headers={"Authorization": "Bearer " + TOKEN})
            check(status == 200, "%s with the token: %d" % (path, status))
        check(b.request("/healthz")[0] == 200, "healthz stays open")

    # A replica killed during load: retries on the survivor, same keys.
    db2 = pg.create_db()
    key2 = harness.key_create(db2, "load")
    victim = harness.Collector(db2)
    victim.start()
    try:
        with harness.Collector(db2) as survivor:
            load([victim.port, survivor.port], key2, kill_after=BATCHES // 3, victim=victim)
            check(victim.proc.wait(timeout=10) == -signal.SIGKILL, "the victim was killed")
            got = report_totals(survivor)
            want = expected_sums()
            check(got[:2] == want[:2] and abs(got[2] - want[2]) < 1e-6,
                  "after a SIGKILL: stored %r, sent (each acknowledged once) %r" % (got, want))
            n = harness.query(db2, "SELECT COUNT(*) FROM batches")[0][0]
            check(n == CLIENTS * BATCHES, "idempotency keys recorded: %d" % n)
    finally:
        victim.stop()
        victim.check_no_sanitizer_report()
        victim.discard_log()


def test_idempotency_across(pg, tmp):
    db = pg.create_db()
    key = harness.key_create(db, "svc")
    with harness.Collector(db) as a, harness.Collector(db) as b:
        body = {"functions": [{"name": "svc.pay", "calls": 5, "total_ms": 2}]}
        idem = "across-replicas-0123456789"
        s1, r1 = post(a.port, key, body, idem)
        s2, r2 = post(b.port, key, body, idem)
        check(s1 == 200 and not r1.get("duplicate"), "first on A: %r %r" % (s1, r1))
        check(s2 == 200 and r2.get("duplicate") is True, "again on B: %r %r" % (s2, r2))
        check(harness.totals(db, "svc")["svc.pay"][0] == 5, "stored once")
        body2 = {"functions": [{"name": "svc.pay", "calls": 6, "total_ms": 2}]}
        s3, _ = post(b.port, key, body2, idem)
        check(s3 == 422, "the key with another body on B: %r" % s3)

        # Labels through one replica, filters through the other.
        post(a.port, key, body, headers={"X-CodeNSM-Version": "2.0", "X-CodeNSM-Instance": "h1"})
        post(a.port, key, body, headers={"X-CodeNSM-Version": "2.1", "X-CodeNSM-Instance": "h2"})
        r = b.get_json("/api/report?since=all&version=2.0")
        check(r["totals"]["calls"] == 5, "version filter on B: %r" % r["totals"])
        r = b.get_json("/api/report?since=all&instance=h2")
        check(r["totals"]["calls"] == 5, "instance filter on B: %r" % r["totals"])
        check(r["labels"]["versions"] == ["", "2.0", "2.1"], "versions %r" % r["labels"])
        out = json.loads(harness.cli("report", "--db", db, "--version", "2.1", "--since", "all",
                                     "--json"))
        check(out["projects"][0]["totals"]["calls"] == 5, "report --version on PostgreSQL")

        # Revocation through the CLI is seen by both replicas at once.
        harness.cli("key", "revoke", key, "--db", db)
        for srv in (a, b):
            status, _ = post(srv.port, key, body)
            check(status == 401, "revoked key on %d: %r" % (srv.port, status))


def test_database_lost(pg, tmp):
    db = pg.create_db()
    key = harness.key_create(db, "svc")
    body = {"functions": [{"name": "svc.pay", "calls": 1, "total_ms": 1}]}
    with harness.Collector(db) as a:
        check(post(a.port, key, body)[0] == 200, "before")
        pg.stop_server()
        check(a.request("/healthz")[0] == 503, "healthz with PostgreSQL down")
        status, _ = post(a.port, key, body)
        check(status == 503, "ingest with PostgreSQL down: %r" % status)
        pg.restart()
        check(a.request("/healthz")[0] == 200, "healthz after PostgreSQL is back")
        check(post(a.port, key, body)[0] == 200, "ingest after PostgreSQL is back")
    check(harness.totals(db, "svc")["svc.pay"][0] == 2, "exactly the acknowledged batches")


def test(tmp):
    if harness.PG is None:  # run on PostgreSQL whatever the backend
        with harness.Postgres() as pg:
            return run_all(pg, tmp)
    return run_all(harness.PG, tmp)


def run_all(pg, tmp):
    for part in (test_idempotency_across, test_sums_and_kill, test_database_lost):
        sub = os.path.join(tmp, part.__name__)
        os.mkdir(sub)
        part(pg, sub)


if __name__ == "__main__":
    harness.main(test)
