# SPDX-License-Identifier: Apache-2.0
"""test_read_access.py - `serve --read-token` and `--read-token-file`
over real HTTP against a real database: /, /api/ and /metrics refused
with 401 and "WWW-Authenticate: Bearer" without a token or with a wrong
one, answered with each accepted token (from the command line and from
a file with comments and blank lines); /healthz open; ingest still
taking its own keys only; no token ever in the log; a server without
tokens unchanged; and every malformed token source refused at start,
once on stderr, without starting or creating the database."""
import json
import os

import harness
from harness import check

T1 = "cli-token-0123456789abcdef"
T2 = "file-token-two-ABCDEFGHIJ"
T3 = "file-token-three.~+/_-=="
COMMENTED = "commented-out-token-zzzzzzzzz"
GUARDED = ["/", "/index.html", "/api/projects", "/api/report?since=all", "/metrics",
           "/api/no-such-thing"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


def expect_refused(srv, headers, invalid, what):
    for path in GUARDED:
        status, body, h = srv.request(path, headers=headers)
        check(status == 401, "%s %s: status %d, wanted 401" % (what, path, status))
        auth = h.get("WWW-Authenticate", "")
        check(auth.startswith("Bearer "), "%s %s: WWW-Authenticate %r" % (what, path, auth))
        check(('error="invalid_token"' in auth) == invalid,
              "%s %s: WWW-Authenticate %r" % (what, path, auth))
        if path.startswith("/api/") or path == "/metrics":
            check("error" in json.loads(body), "%s %s: %r" % (what, path, body))
            check(b"shop" not in body and b"checkout" not in body,
                  "%s %s: a refusal shows figures: %r" % (what, path, body))


def expect_served(srv, token):
    status, page, _ = srv.request("/", headers=bearer(token))
    check(status == 200 and b"<html" in page, "GET / with a token: %d" % status)
    status, body, _ = srv.request("/api/projects", headers=bearer(token))
    check(status == 200 and json.loads(body) == {"projects": ["shop"]},
          "/api/projects with a token: %d %r" % (status, body))
    status, body, _ = srv.request("/api/report?since=all", headers=bearer(token))
    check(status == 200, "/api/report with a token: %d %r" % (status, body[:200]))
    fns = {f["name"]: f["calls"] for f in json.loads(body)["functions"]}
    check(fns.get("checkout.apply_coupon") == 10, "report with a token: %r" % fns)
    status, body, _ = srv.request("/metrics", headers=bearer(token))
    check(status == 200 and b"codensm_calls_total{" in body, "/metrics with a token: %d" % status)


def expect_start_error(db, args, says, secret=None):
    """serve with args must exit non-zero at once, say why once, create nothing."""
    rc, out, err = harness.cli_result("serve", "--listen", "127.0.0.1:0", "--db", db, *args)
    lines = [l for l in err.splitlines() if l]
    check(rc != 0, "serve %s started (exit %d)" % (args, rc))
    check(len(lines) == 1 and says in lines[0], "serve %s: stderr %r, wanted one line with %r"
          % (args, err, says))
    check("listening" not in err, "serve %s listened" % (args,))
    if secret is not None:
        check(secret not in err, "serve %s: the token is in the message %r" % (args, err))
    check(not os.path.exists(db), "serve %s created the database" % (args,))


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "shop")
    tokens_file = os.path.join(tmp, "read-tokens")
    with open(tokens_file, "w") as f:
        f.write("# read tokens of the shop team\n\n   %s  \n# %s\n\t\n%s\r\n" % (T2, COMMENTED, T3))
    seed = {"functions": [{"name": "checkout.apply_coupon", "department": "engine",
                           "value_weight": 9, "calls": 10, "errors": 1, "total_ms": 2.5}]}

    with harness.Collector(db, ["--read-token", T1, "--read-token-file", tokens_file]) as srv:
        # Ingest takes its ingest key, no read token, and refuses a read
        # token as if it were a key, as before.
        status, body = srv.ingest(seed, key)
        check(status == 200 and body == {"accepted": 1}, "ingest: %d %r" % (status, body))
        status, body = srv.ingest(seed, T1)
        check(status == 401 and body["error"] == "invalid or revoked key",
              "ingest with a read token: %d %r" % (status, body))
        before = harness.snapshot(db)

        status, body, _ = srv.request("/healthz")
        check(status == 200 and json.loads(body) == {"ok": True}, "/healthz: %d %r" % (status, body))

        expect_refused(srv, {}, False, "no token")
        expect_refused(srv, {"Authorization": "Bearer"}, False, "empty bearer")
        expect_refused(srv, {"Authorization": "Basic " + T1}, False, "Basic scheme")
        expect_refused(srv, bearer("wrong-token-0123456789"), True, "wrong token")
        expect_refused(srv, bearer(T1[:-1]), True, "a prefix of a token")
        expect_refused(srv, bearer(T1 + "x"), True, "a token and more")
        expect_refused(srv, bearer(T2 + " " + T3), True, "two tokens")
        expect_refused(srv, bearer(COMMENTED), True, "a commented-out token")
        expect_refused(srv, bearer(key), True, "an ingest key")

        for token in (T1, T2, T3):
            expect_served(srv, token)
        # The scheme is case-insensitive (RFC 7235); the token is not.
        status, _, _ = srv.request("/metrics", headers={"Authorization": "bearer  " + T2})
        check(status == 200, "lower-case scheme: %d" % status)
        expect_refused(srv, bearer(T2.upper()), True, "the token in upper case")

        check(harness.snapshot(db) == before, "reads changed the database")
        log = srv.logtext()
        check("GET /api/report 401" in log and "GET /metrics 200" in log, "request log:\n" + log)
        for secret in (T1, T2, T3, COMMENTED, "wrong-token-0123456789"):
            check(secret not in log, "a token is in the log:\n" + log)
        check("warning" not in log, "a warning on 127.0.0.1:\n" + log)

    # The file alone: its tokens and only them.
    with harness.Collector(db, ["--read-token-file", tokens_file]) as srv:
        expect_served(srv, T2)
        expect_served(srv, T3)
        expect_refused(srv, bearer(T1), True, "a token of another run")

    # No read token: everything readable, as before, and no warning on
    # a loopback address.
    with harness.Collector(db) as srv:
        for path in GUARDED[:5]:
            status, _, h = srv.request(path)
            check(status == 200, "open %s: %d" % (path, status))
            check("WWW-Authenticate" not in h, "open %s asks for a token" % path)
        check("warning" not in srv.logtext(), "a warning on 127.0.0.1:\n" + srv.logtext())

    # Token sources that cannot be used: said once, nothing started.
    fresh = os.path.join(tmp, "never-created.db")
    expect_start_error(fresh, ["--read-token-file", os.path.join(tmp, "missing")],
                       "cannot read --read-token-file")
    expect_start_error(fresh, ["--read-token-file", tmp], "cannot read --read-token-file")
    empty = os.path.join(tmp, "empty")
    with open(empty, "w") as f:
        f.write("# nothing but comments\n\n   \n")
    expect_start_error(fresh, ["--read-token-file", empty], "holds no token")
    open(os.path.join(tmp, "zero"), "w").close()
    expect_start_error(fresh, ["--read-token-file", os.path.join(tmp, "zero")], "holds no token")
    bad = os.path.join(tmp, "bad")
    with open(bad, "w") as f:
        f.write("%s\n# fine so far\nshort-secret\n" % T2)
    expect_start_error(fresh, ["--read-token-file", bad], "line 3", secret="short-secret")
    with open(bad, "w") as f:
        f.write("two words-in-one-line-token\n")
    expect_start_error(fresh, ["--read-token-file", bad], "line 1", secret="words-in-one")
    expect_start_error(fresh, ["--read-token", "short-secret"], "--read-token",
                       secret="short-secret")
    expect_start_error(fresh, ["--read-token", T1, "--read-token", ""], "--read-token")


if __name__ == "__main__":
    harness.main(test)
