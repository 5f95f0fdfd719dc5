# SPDX-License-Identifier: Apache-2.0
"""test_probes.py - probes over real HTTP and the CLI: `probe PROJECT
FUNCTION --every-call --for D` prints the expiry, `--list` shows the
active ones with their seconds left, `--cancel` ends one; bad durations
and forms are one clear line and exit 2; every 200 of ingest for a key of
the project carries one `X-CodeNSM-Probe: <seconds left> <name>` per
active probe, another project's key none; a probe of 2 s expires by
itself (the header goes, bounded wait); probes live in the database (a
restarted collector, and one started after them, announce them); a name
with a control character written by hand is never sent; at most 64 per
project (the 65th refused by the CLI and by POST /api/probe); POST
/api/probe and GET /api/probes, their refusals, and read tokens.  Runs on
SQLite, and on PostgreSQL with CNSM_TEST_BACKEND=postgresql."""
import json
import re
import time

import harness
from harness import check

TOKEN = "probe-read-token-0123456789"


def ingest_probes(srv, key):
    """The X-CodeNSM-Probe header lines of a 200 of ingest: {name: secs}."""
    h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    status, body, hdrs = srv.request("/codensm/ingest", json.dumps(
        {"functions": [{"name": "shop.x", "calls": 1}]}).encode(), h, "POST")
    check(status == 200, "ingest %d %r" % (status, body))
    out = {}
    for line in hdrs.get_all("X-CodeNSM-Probe") or []:
        m = re.fullmatch(r"([1-9][0-9]*) (.+)", line)
        check(m is not None, "malformed probe header %r" % line)
        out[m.group(2)] = int(m.group(1))
    return out


def cli_list(db, project="shop"):
    out = harness.cli("probe", project, "--list", "--db", db)
    return {l.split()[0]: int(l.split()[-1]) for l in out.splitlines()[1:] if l.strip()} \
        if out.startswith("FUNCTION") else {}


def api(srv, body, token=None):
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    status, raw, _ = srv.request("/api/probe", json.dumps(body).encode(), h, "POST")
    return status, json.loads(raw)


def test_cli_and_header(tmp):
    db = harness.new_db(tmp, "p.db")
    key = harness.key_create(db, "shop")
    other = harness.key_create(db, "other")
    t0 = int(time.time())
    out = harness.cli("probe", "shop", "shop.pay", "--every-call", "--for", "10m", "--db", db)
    m = re.search(r"until (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(600 s\)", out)
    check(m is not None, "expiry not printed: %r" % out)
    when = time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    check(t0 + 600 <= when <= time.time() + 600, "expiry %r" % out)
    harness.cli("probe", "shop", "shop.cart add", "--every-call", "--for", "1h", "--db", db)
    lst = cli_list(db)
    check(set(lst) == {"shop.pay", "shop.cart"} or set(lst) == {"shop.pay", "shop.cart add"},
          "list %r" % lst)
    out = harness.cli("probe", "shop", "--list", "--db", db)
    check("shop.cart add" in out and re.search(r"shop\.pay +(59[0-9]|600)\n", out), out)
    check(cli_list(db, "other") == {}, "other project lists none")
    for bad in ("0s", "25h", "86401s", "10x", "", "-5m", "1.5h", "10", "1h30m"):
        rc, _, err = harness.cli_result("probe", "shop", "f", "--every-call", "--for", bad, "--db", db)
        check(rc == 2 and len(err.strip().splitlines()) == 1 and "--for" in err,
              "--for %r: %d %r" % (bad, rc, err))
    for args in (("shop", "f", "--for", "1m"), ("shop", "f"), ("shop", "--cancel"),
                 ("shop", "f", "--list"), ("shop",)):
        rc, _, err = harness.cli_result("probe", *args, "--db", db)
        check(rc == 2 and err.strip(), "%r: %d %r" % (args, rc, err))
    rc, _, err = harness.cli_result("probe", "nope", "f", "--every-call", "--for", "1m", "--db", db)
    check(rc == 1 and "no project named nope" in err, "unknown project: %d %r" % (rc, err))
    for bound in ("86400s", "1440m", "24h"):
        harness.cli("probe", "shop", "shop.b" + bound, "--every-call", "--for", bound, "--db", db)
    for bound in ("1440m", "24h", "86400s"):
        harness.cli("probe", "shop", "shop.b" + bound, "--cancel", "--db", db)

    with harness.Collector(db) as srv:
        got = ingest_probes(srv, key)
        check(set(got) == {"shop.pay", "shop.cart add"} and 590 <= got["shop.pay"] <= 600
              and 3590 <= got["shop.cart add"] <= 3600, "header %r" % got)
        check(ingest_probes(srv, other) == {}, "another project's key got probes")
        harness.cli("probe", "shop", "shop.pay", "--cancel", "--db", db)
        check(set(ingest_probes(srv, key)) == {"shop.cart add"}, "cancel seen at once")
        rc, _, err = harness.cli_result("probe", "shop", "shop.pay", "--cancel", "--db", db)
        check(rc == 1 and "no active probe" in err, "cancel twice: %d %r" % (rc, err))
        # Expiry by itself: present now, gone within a bounded wait.
        harness.cli("probe", "shop", "shop.brief", "--every-call", "--for", "2s", "--db", db)
        harness.cli("probe", "shop", "shop.one", "--every-call", "--for", "1s", "--db", db)
        check("shop.brief" in ingest_probes(srv, key), "2 s probe not announced")
        deadline = time.time() + 10
        while "shop.brief" in ingest_probes(srv, key):
            check(time.time() < deadline, "a 2 s probe still announced after 10 s")
            time.sleep(0.2)
        check("shop.brief" not in cli_list(db) and "shop.one" not in cli_list(db),
              "expired probe listed")
        # A name with a control character, written by hand, is skipped.
        harness.query(db, "INSERT INTO probes(project, name, expires_at) VALUES('shop', ?, ?)",
                      ("bad\nname", int(time.time()) + 600))
        check(set(ingest_probes(srv, key)) == {"shop.cart add"}, "control character sent")
        harness.query(db, "DELETE FROM probes WHERE name <> 'shop.cart add'")
    # Kept in the database: a new collector announces it.
    with harness.Collector(db) as srv:
        check(set(ingest_probes(srv, key)) == {"shop.cart add"}, "lost across a restart")


def test_limit_and_api(tmp):
    db = harness.new_db(tmp, "l.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        for i in range(64):
            status, r = api(srv, {"project": "shop", "function": "shop.f%d" % i, "seconds": 300})
            check(status == 200 and r["seconds_left"] == 300 and r["function"] == "shop.f%d" % i,
                  "probe %d: %d %r" % (i, status, r))
        status, r = api(srv, {"project": "shop", "function": "shop.f64", "seconds": 300})
        check(status == 422 and "64" in r["error"], "65th: %d %r" % (status, r))
        rc, _, err = harness.cli_result("probe", "shop", "shop.f64", "--every-call", "--for", "1m",
                                        "--db", db)
        check(rc == 1 and "64 active probes" in err, "CLI 65th: %d %r" % (rc, err))
        status, r = api(srv, {"project": "shop", "function": "shop.f3", "seconds": 60})
        check(status == 200 and r["seconds_left"] == 60, "an active one may change: %r" % r)
        check(len(ingest_probes(srv, key)) == 64, "64 headers")
        listed = srv.get_json("/api/probes?project=shop")["probes"]
        check(len(listed) == 64 and {"function", "expires_at", "seconds_left"} == set(listed[0]),
              "GET /api/probes %r" % listed[:1])
        f3 = [p for p in listed if p["function"] == "shop.f3"][0]
        check(55 <= f3["seconds_left"] <= 60 and f3["expires_at"] - f3["seconds_left"] <= time.time() + 1,
              "f3 %r" % f3)
        status, r = api(srv, {"project": "shop", "function": "shop.f3", "seconds": 0})
        check(status == 200 and r.get("cancelled") is True, "cancel %r" % r)
        status, r = api(srv, {"project": "shop", "function": "shop.f64", "seconds": 300})
        check(status == 200, "room again after a cancel: %d %r" % (status, r))
        status, r = api(srv, {"project": "shop", "function": "shop.none", "seconds": 0})
        check(status == 404, "cancel of nothing: %d %r" % (status, r))
        for body in ({"project": "shop", "function": "f", "seconds": 86401},
                     {"project": "shop", "function": "f", "seconds": -1},
                     {"project": "shop", "function": "f", "seconds": 1.5},
                     {"project": "shop", "function": "f", "seconds": "10"},
                     {"project": "shop", "function": "f"},
                     {"project": "shop", "seconds": 10},
                     {"project": "shop", "function": "", "seconds": 10},
                     {"project": "shop", "function": "a\u0001", "seconds": 10},
                     # cut at the NUL, it was a probe of shop.f64
                     {"project": "shop", "function": "shop.f64\u0000x", "seconds": 10},
                     {"project": "shop", "function": "n" * 513, "seconds": 10},
                     {"function": "f", "seconds": 10}, [1]):
            status, r = api(srv, body)
            check(status == 400 and r.get("error"), "%r: %d %r" % (str(body)[:80], status, r))
        status, r = api(srv, {"project": "nope", "function": "f", "seconds": 10})
        check(status == 404, "unknown project: %d %r" % (status, r))
        status, raw, _ = srv.request("/api/probe", b"{not json", {"Content-Type": "application/json"},
                                     "POST")
        check(status == 400, "malformed JSON %d" % status)


def test_read_tokens(tmp):
    db = harness.new_db(tmp, "t.db")
    harness.key_create(db, "shop")
    with harness.Collector(db, ["--read-token", TOKEN]) as srv:
        body = {"project": "shop", "function": "shop.f", "seconds": 30}
        check(api(srv, body)[0] == 401, "no token")
        check(api(srv, body, "wrong-token-0123456789")[0] == 401, "wrong token")
        check(cli_list(db) == {}, "a refused POST started a probe")
        status, r = api(srv, body, TOKEN)
        check(status == 200, "with the token: %d %r" % (status, r))
        check(srv.request("/api/probes?project=shop")[0] == 401, "GET without token")
        status, raw, _ = srv.request("/api/probes?project=shop",
                                     headers={"Authorization": "Bearer " + TOKEN})
        check(status == 200 and json.loads(raw)["probes"][0]["function"] == "shop.f", raw)


def test(tmp):
    import os
    for part in (test_cli_and_header, test_limit_and_api, test_read_tokens):
        sub = os.path.join(tmp, part.__name__)
        os.mkdir(sub)
        part(sub)


if __name__ == "__main__":
    harness.main(test)
