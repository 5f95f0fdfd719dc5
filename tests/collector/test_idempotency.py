# SPDX-License-Identifier: Apache-2.0
"""test_idempotency.py - a batch is stored once however often it arrives.

A sender puts an Idempotency-Key header on each batch.  The same batch
twice with the same key is stored once, and the repeat gets 200 with
"duplicate": true; also after a collector restart; different keys are
different batches; no header means today's behaviour (stored each
time); a malformed header is a 400; the same key with another body is
a 422.  Then the case the header exists for: a TCP proxy forwards the
request to the collector and drops the answer, the sender retries with
the same key, and the calls are counted once.  A key older than the
expiry (7 days) no longer matches."""
import http.client
import json
import os
import socket
import threading
import time

import harness
from harness import check


def body(calls):
    return {"functions": [{"name": "svc.pay", "department": "api", "calls": calls, "total_ms": 2}]}


def send(srv, key, payload, idem=None):
    headers = {"Idempotency-Key": idem} if idem is not None else {}
    return srv.ingest(payload, key, extra_headers=headers)


def calls(db):
    return harness.totals(db, "svc").get("svc.pay", (0,))[0]


def recv_request(conn):
    """Reads one HTTP request (headers and Content-Length body) whole."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        rest += conn.recv(65536)
    return head + b"\r\n\r\n" + rest


def lossy_proxy(listener, port, forwarded):
    """Forwards one request to the collector, reads its whole answer,
    then closes the client's connection without sending it."""
    client, _ = listener.accept()
    request = recv_request(client)
    up = socket.create_connection(("127.0.0.1", port), timeout=10)
    up.sendall(request.replace(b"Connection: keep-alive", b"Connection: close"))
    answer = b""
    while True:
        chunk = up.recv(65536)
        if not chunk:
            break
        answer += chunk
    up.close()
    forwarded.append(answer)
    client.close()  # the answer is lost


def through_lossy_proxy(srv, key, payload, idem):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    forwarded = []
    t = threading.Thread(target=lossy_proxy, args=(listener, srv.port, forwarded))
    t.start()
    conn = http.client.HTTPConnection("127.0.0.1", listener.getsockname()[1], timeout=10)
    lost = False
    try:
        conn.request("POST", "/codensm/ingest", json.dumps(payload), {
            "Authorization": "Bearer " + key, "Content-Type": "application/json",
            "Idempotency-Key": idem, "Connection": "close"})
        conn.getresponse().read()
    except (http.client.HTTPException, OSError):
        lost = True
    t.join(timeout=15)
    listener.close()
    check(lost, "the proxy did not drop the answer")
    check(forwarded and b" 200 " in forwarded[0].split(b"\r\n")[0],
          "the collector's answer behind the proxy: %r" % forwarded[:1])


def test(tmp):
    db = harness.new_db(tmp, "c.db")
    key = harness.key_create(db, "svc")
    k1 = "3f9c2a1b7d8e4f60a1b2c3d4e5f60718-1"
    srv = harness.Collector(db)
    with srv:
        status, reply = send(srv, key, body(10), k1)
        check(status == 200 and reply == {"accepted": 1}, "first: %d %r" % (status, reply))
        status, reply = send(srv, key, body(10), k1)
        check(status == 200 and reply == {"accepted": 1, "duplicate": True},
              "repeat: %d %r" % (status, reply))
        check(calls(db) == 10, "same key twice stored %d calls, wanted 10" % calls(db))

        srv.stop()
        srv.start()
        status, reply = send(srv, key, body(10), k1)
        check(status == 200 and reply.get("duplicate") is True, "after restart: %d %r" % (status, reply))
        check(calls(db) == 10, "after restart stored %d calls, wanted 10" % calls(db))

        status, _ = send(srv, key, body(10), k1[:-1] + "2")
        check(status == 200 and calls(db) == 20, "another key: %d calls" % calls(db))
        send(srv, key, body(1))
        send(srv, key, body(1))
        check(calls(db) == 22, "no header is stored each time: %d" % calls(db))

        before = harness.snapshot(db)
        for bad in ["short", "x" * 129, "has space 0123456789", "slash/0123456789abcd", "é" * 16]:
            status, reply = send(srv, key, body(5), bad)
            check(status == 400 and reply.get("field") == "Idempotency-Key",
                  "malformed key %r: %d %r" % (bad, status, reply))
        status, reply = send(srv, key, body(99), k1)
        check(status == 422 and "error" in reply, "same key, other body: %d %r" % (status, reply))
        check(harness.snapshot(db) == before, "refused requests changed the database")

        k3 = "proxy-run:0123456789abcdef.7"
        through_lossy_proxy(srv, key, body(7), k3)
        check(calls(db) == 29, "the lost answer's batch was stored: %d" % calls(db))
        status, reply = send(srv, key, body(7), k3)  # the sender's retry
        check(status == 200 and reply.get("duplicate") is True, "retry: %d %r" % (status, reply))
        check(calls(db) == 29, "retry after a lost answer counted twice: %d" % calls(db))

        harness.query(db, "UPDATE batches SET created_at = created_at - 8 * 86400")
        status, reply = send(srv, key, body(10), k1)
        check(status == 200 and "duplicate" not in reply, "expired key: %d %r" % (status, reply))
        check(calls(db) == 39, "an expired key is a new batch: %d" % calls(db))


if __name__ == "__main__":
    harness.main(test)
