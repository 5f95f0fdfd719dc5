# SPDX-License-Identifier: Apache-2.0
"""test_restart.py - what the collector acknowledged survives a restart.

A sender posts continuously while the server gets SIGTERM: it must stop
cleanly (exit 0), and after starting again on the same database file the
stored totals must equal exactly the sum of the acknowledged requests,
plus what is sent after the restart.  SIGINT is exercised the same way."""
import os
import signal
import threading
import time
import urllib.error
import urllib.request

import harness
from harness import check


def flood(port, key, stop, acked):
    """Posts 1 call per request until stop is set; counts the 200s."""
    body = b'{"functions":[{"name":"svc.handle","department":"api","calls":1,"total_ms":1}]}'
    while not stop.is_set():
        req = urllib.request.Request(
            "http://127.0.0.1:%d/codensm/ingest" % port, body,
            {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if r.status == 200:
                    acked[0] += 1
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.005)


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "svc")
    acked = [0]
    srv = harness.Collector(db)
    with srv:
        stop = threading.Event()
        senders = [threading.Thread(target=flood, args=(srv.port, key, stop, acked))
                   for _ in range(4)]
        for t in senders:
            t.start()
        deadline = time.time() + 20
        while acked[0] < 200 and time.time() < deadline:
            time.sleep(0.01)
        rc = srv.stop(signal.SIGTERM)
        stop.set()
        for t in senders:
            t.join(timeout=30)
        check(rc == 0, "exit status after SIGTERM: %r\n%s" % (rc, srv.logtext()[-2000:]))
        check("stopped" in srv.logtext(), "no clean stop message")
        check(acked[0] >= 200, "too few requests acknowledged: %d" % acked[0])
        calls = harness.totals(db, "svc")["svc.handle"][0]
        check(calls == acked[0], "stored %d calls, acknowledged %d" % (calls, acked[0]))

        srv.start()  # same database file
        status, _ = srv.ingest({"functions": [{"name": "svc.handle", "calls": 5}]}, key)
        check(status == 200, "ingest after restart: %d" % status)
        report = srv.get_json("/api/report?project=svc")
        fn = [f for f in report["functions"] if f["name"] == "svc.handle"][0]
        check(fn["calls"] == acked[0] + 5, "after restart: %d != %d" % (fn["calls"], acked[0] + 5))
        check(fn["department"] == "api", "department kept when not resent")
        rc = srv.stop(signal.SIGINT)
        check(rc == 0, "exit status after SIGINT: %r" % rc)
    out = harness.cli("report", "--db", db, "--project", "svc", "--json")
    check('"calls":\t%d' % (acked[0] + 5) in out, "CLI sees the same totals")


if __name__ == "__main__":
    harness.main(test)
