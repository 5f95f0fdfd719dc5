# SPDX-License-Identifier: Apache-2.0
"""test_refusals.py - every refusal of POST /codensm/ingest, over real
HTTP against a real database file, each followed by a check that the
database is unchanged; and the accepted edge cases (limits, C++ names,
fractional times, gzip)."""
import gzip
import json
import os
import socket

import harness
from harness import check


def ok_entry(**kw):
    e = {"name": "checkout.apply_coupon", "department": "engine",
         "value_weight": 9, "calls": 10, "errors": 1, "total_ms": 2.5}
    e.update(kw)
    return e


def expect(srv, db, status, payload, key, index=None, field=None, **kw):
    before = harness.snapshot(db)
    got, body = srv.ingest(payload, key, **kw)
    after = harness.snapshot(db)
    desc = repr(payload)[:120]
    check(got == status, "%s: status %d, wanted %d (%s)" % (desc, got, status, body))
    check("error" in body, "%s: no error message in %s" % (desc, body))
    check(body.get("index") == index, "%s: index %r, wanted %r" % (desc, body.get("index"), index))
    check(body.get("field") == field, "%s: field %r, wanted %r" % (desc, body.get("field"), field))
    check(before == after, "%s: database changed by a refused request" % desc)


def expect_continue(port, key, length, body=b""):
    """Sends an ingest's headers with "Expect: 100-continue" and waits for
    the server's first answer, then sends body if it said 100.  Returns
    (first status line, final status or None)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    try:
        sock.sendall(("POST /codensm/ingest HTTP/1.1\r\nHost: x\r\n"
                      "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                      % (key, length)).encode())
        first = sock.recv(4096).decode(errors="replace")
        status = first.split("\r\n", 1)[0]
        if " 100 " not in status + " ":
            return status, None
        sock.sendall(body)
        rest = first.split("\r\n\r\n", 1)[1]
        while "HTTP/1.1 " not in rest:
            rest += sock.recv(4096).decode(errors="replace")
        return status, int(rest.split("HTTP/1.1 ", 1)[1][:3])
    finally:
        sock.close()


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "shop")
    revoked = harness.key_create(db, "shop")
    harness.cli("key", "revoke", revoked, "--db", db)
    with harness.Collector(db) as srv:
        status, body = srv.ingest({"functions": [ok_entry()]}, key)
        check(status == 200 and body == {"accepted": 1}, "seed ingest: %d %s" % (status, body))
        good = {"functions": [ok_entry()]}

        # 401: no key, wrong key, wrong scheme, revoked key.
        expect(srv, db, 401, good, None)
        expect(srv, db, 401, good, "cnsm_" + "0" * 64)
        expect(srv, db, 401, good, key[:-1])
        expect(srv, db, 401, good, revoked)
        expect(srv, db, 401, good, None, extra_headers={"Authorization": "Basic " + key})
        # 415: no or wrong content type, unknown encoding.
        expect(srv, db, 415, good, key, ctype=None)
        expect(srv, db, 415, good, key, ctype="text/plain")
        expect(srv, db, 415, good, key, ctype="application/jsonx")
        expect(srv, db, 415, good, key, extra_headers={"Content-Encoding": "br"})
        # 413: more than 4 MiB, plain or once inflated.
        big = '{"functions":[' + " " * (4 << 20) + "]}"
        expect(srv, db, 413, big, key)
        bomb = gzip.compress(big.encode())
        expect(srv, db, 413, bomb, key, extra_headers={"Content-Encoding": "gzip"})

        # A client that waits for 100 Continue is refused before it uploads.
        status, final = expect_continue(srv.port, "cnsm_" + "0" * 64, 104857600)
        check(status.startswith("HTTP/1.1 401"), "Expect with a bad key: %r" % status)
        status, final = expect_continue(srv.port, key, 104857600)
        check(status.startswith("HTTP/1.1 413"), "Expect past 4 MiB: %r" % status)
        body = json.dumps({"functions": [ok_entry(name="continued")]}).encode()
        status, final = expect_continue(srv.port, key, len(body), body)
        check(" 100 " in status + " " and final == 200, "Expect, then stored: %r %r"
              % (status, final))

        # 400: the request as a whole.
        for bad in ['{"functions":[', '{"functions":[]} x', "", "[]", "null", "nope",
                    '{"functions":[]}{}']:
            expect(srv, db, 400, bad, key)
        expect(srv, db, 400, "{}", key, field="functions")
        expect(srv, db, 400, '{"functions":{}}', key, field="functions")
        expect(srv, db, 400, '{"functions":"x"}', key, field="functions")
        expect(srv, db, 400, b"\x1f\x8b\x08garbage", key, extra_headers={"Content-Encoding": "gzip"})
        # A gzip stream with bytes after its end (its first member was stored alone).
        zipped_good = gzip.compress(json.dumps(good).encode())
        expect(srv, db, 400, zipped_good + b"TRAILING GARBAGE", key,
               extra_headers={"Content-Encoding": "gzip"})
        # A NUL, as a byte or an escape, anywhere in the text: cJSON's strings
        # end at it, so "victim\u0000other" was added to "victim".
        expect(srv, db, 400, '{"functions":[{"name":"checkout.apply_coupon\\u0000x","calls":5}]}',
               key)
        expect(srv, db, 400, b'{"functions":[{"name":"checkout.apply_coupon\x00x","calls":5}]}',
               key)
        expect(srv, db, 400, '{"functions":[{"name":"n","department":"eng\\u0000ineering",'
               '"calls":5}]}', key)

        # 400: one entry, one field; the valid entries before it are not kept.
        def bad_entry(index, field, entry):
            payload = {"functions": [ok_entry(name="fine.%d" % i) for i in range(index)] + [entry]}
            expect(srv, db, 400, payload, key, index=index, field=field)

        bad_entry(0, None, 7)
        bad_entry(1, None, ["x"])
        bad_entry(2, "name", {"calls": 1})
        bad_entry(0, "name", ok_entry(name=123))
        bad_entry(0, "name", ok_entry(name=""))
        bad_entry(0, "name", ok_entry(name="n" * 513))
        bad_entry(0, "name", ok_entry(name="é" * 257))  # 514 bytes
        bad_entry(0, "name", ok_entry(name="tab\there"))
        bad_entry(0, "name", ok_entry(name="nul\u0001"))
        # A lone surrogate escape is refused by the JSON parser itself.
        expect(srv, db, 400, {"functions": [ok_entry(name="\ud800x")]}, key)
        bad_entry(0, "department", ok_entry(department=5))
        bad_entry(0, "department", ok_entry(department="d" * 129))
        bad_entry(0, "department", ok_entry(department=""))
        bad_entry(1, "calls", {"name": "x"})
        for v in ["5", -1, 1.5, 1e300, 2 ** 53, True, None, [1], {"n": 1}]:
            bad_entry(1, "calls", ok_entry(calls=v, errors=0))
        for v in ["1", -1, 0.5, False]:
            bad_entry(0, "errors", ok_entry(errors=v))
        bad_entry(0, "errors", ok_entry(calls=3, errors=4))
        for v in [-1, -0.001, "1", True, [0]]:
            bad_entry(1, "total_ms", ok_entry(total_ms=v))
        for v in [-1, "9", 1e7, True]:
            bad_entry(0, "value_weight", ok_entry(value_weight=v))
        # Non-finite numbers are not JSON, but 1e999 parses as infinity.
        expect(srv, db, 400, '{"functions":[{"name":"x","calls":1,"total_ms":1e999}]}',
               key, index=0, field="total_ms")
        expect(srv, db, 400, '{"functions":[{"name":"x","calls":1e999}]}',
               key, index=0, field="calls")
        expect(srv, db, 400, '{"functions":[{"name":"x","calls":NaN}]}', key)
        # Invalid UTF-8 bytes in a name, sent raw.
        raw = b'{"functions":[{"name":"ok"},{"name":"bad\xff\xfe","calls":1}]}'
        expect(srv, db, 400, raw, key, index=0, field="calls")
        raw = b'{"functions":[{"name":"bad\xc0\xafx","calls":1}]}'
        expect(srv, db, 400, raw, key, index=0, field="name")
        raw = b'{"functions":[{"name":"x","calls":1},{"name":"bad\xed\xa0\x80","calls":1}]}'
        expect(srv, db, 400, raw, key, index=1, field="name")

        # Other methods and paths.
        status, _, hdrs = srv.request("/codensm/ingest")
        check(status == 405 and hdrs.get("Allow") == "POST", "GET ingest: %d" % status)
        status, _, _ = srv.request("/nope")
        check(status == 404, "unknown path: %d" % status)

        # Accepted edge cases.
        cpp = 'shop::Cart<std::basic_string<char> >::total(int) const "q" \\ é'
        longest = "€" * 170 + "xy"  # 512 bytes
        check(len(longest.encode()) == 512, "test setup")
        payload = {"functions": [
            {"name": cpp, "department": "d" * 128, "calls": 3, "errors": 3, "total_ms": 0.125},
            {"name": longest, "calls": 0},
            {"name": "minimal", "calls": 2},
            {"name": "minimal", "calls": 5, "errors": 1, "total_ms": 1.5, "unknown_field": [1]},
        ], "sender": "ignored"}
        status, body = srv.ingest(payload, key, ctype="application/json; charset=utf-8")
        check(status == 200 and body == {"accepted": 4}, "edge cases: %d %s" % (status, body))
        status, body = srv.ingest(gzip.compress(json.dumps(
            {"functions": [{"name": "zipped", "calls": 4, "total_ms": 0.5}]}).encode()), key,
            extra_headers={"Content-Encoding": "gzip"})
        check(status == 200, "gzip ingest: %d %s" % (status, body))
        # RFC 1952: members one after another are one stream (gzip -d).
        status, body = srv.ingest(
            gzip.compress(b'{"functions":[{"name":"member.first","calls":1}]}')
            + gzip.compress(b'{"functions":[{"name":"member.second","calls":2}]}'), key,
            extra_headers={"Content-Encoding": "gzip"})
        check(status == 400, "two JSON documents in two members: %d %s" % (status, body))
        status, body = srv.ingest(
            gzip.compress(b'{"functions":[{"name":"member.first","calls":1},')
            + gzip.compress(b'{"name":"member.second","calls":2}]}'), key,
            extra_headers={"Content-Encoding": "gzip"})
        check(status == 200 and body == {"accepted": 2}, "two members: %d %s" % (status, body))
        # A backslash before u0000 is text, not a NUL.
        status, body = srv.ingest('{"functions":[{"name":"back\\\\u0000slash","calls":1}]}', key)
        check(status == 200, "an escaped backslash before u0000: %d %s" % (status, body))
        status, body = srv.ingest({"functions": []}, key)
        check(status == 200 and body == {"accepted": 0}, "empty batch: %d %s" % (status, body))

        t = harness.totals(db, "shop")
        check(t[cpp] == (3, 3, 0.125), "C++ name stored: %r" % (t.get(cpp),))
        check(t["minimal"] == (7, 1, 1.5), "duplicates summed: %r" % (t.get("minimal"),))
        check(t["zipped"] == (4, 0, 0.5), "gzip stored")
        check(t["continued"][0] == 10, "the body sent after 100 Continue stored")
        check(t["member.first"][0] == 1 and t["member.second"][0] == 2,
              "both members stored: %r %r" % (t.get("member.first"), t.get("member.second")))
        check(t["back\\u0000slash"][0] == 1, "the name with a backslash: %r" % sorted(t)[:5])
        check(t["checkout.apply_coupon"] == (10, 1, 2.5), "seed kept")
        fns = {n: (d, w) for p, n, d, w in harness.snapshot(db)["functions"]}
        check(fns[longest] == ("unassigned", 1.0), "announced function: %r" % (fns.get(longest),))
        check(fns["minimal"] == ("unassigned", 1.0), "defaults")
        log = srv.logtext()
        check("POST /codensm/ingest 401" in log and "POST /codensm/ingest 200" in log,
              "request log lines missing:\n" + log[-2000:])


if __name__ == "__main__":
    harness.main(test)
