#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""test_faults.py - libcodensm against a real HTTP server on 127.0.0.1
with faults injected (test_server.py), through the rt_app program.

Usage: test_faults.py RT_APP [scenario ...]

Each scenario checks that the totals that finally arrive are exact, and
where the server misbehaves, that the application's own run time stays
bounded whatever the server's delay.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scenarios import free_port, one_run_left, run_scenarios, spool_files  # noqa: E402
from test_server import TestServer  # noqa: E402

APP = None
KEY = "test-key-123"
SIX = {"name", "department", "value_weight", "calls", "errors", "total_ms"}


def run_app(port, spool, calls, sleep_ms=0, dyn=0, **env):
    """Runs rt_app against port; returns its wall time in seconds."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CODENSM_") and "proxy" not in k.lower()}
    e.update({
        "CODENSM_ENDPOINT": "http://127.0.0.1:%d/codensm/ingest" % port,
        "CODENSM_API_KEY": KEY,
        "CODENSM_SPOOL_DIR": spool,
        "CODENSM_FLUSH_INTERVAL": "0.2",
        "CODENSM_EXIT_TIMEOUT": "1",
        "NO_PROXY": "*", "no_proxy": "*",
    })
    e.update({k: str(v) for k, v in env.items()})
    t = time.monotonic()
    subprocess.run([APP, str(calls), str(sleep_ms), str(dyn)], env=e,
                   check=True, timeout=60)
    return time.monotonic() - t


def totals(bodies):
    """name -> [calls, errors, entries] over delivered bodies."""
    out = {}
    for b in bodies:
        for f in b["functions"]:
            t = out.setdefault(f["name"], [0, 0, 0])
            t[0] += f["calls"]
            t[1] += f["errors"]
            t[2] += 1
    return out


def errors_of(calls):
    return len(range(0, calls, 7))


def check_exact(server, calls):
    t = totals(server.rec.delivered())
    assert t["app.work"][:2] == [calls, errors_of(calls)], t.get("app.work")
    assert t["app.never"] == [0, 0, 1], t.get("app.never")


def scenario_ok(tmp):
    """Headers and body keys exactly; totals exact."""
    s = TestServer(mode="ok")
    try:
        run_app(s.port, tmp + "/spool", 5000, 600)
        recs = s.rec.records
        assert recs, "no request"
        for r in recs:
            h = {k.lower(): v for k, v in r["headers"].items()}
            assert r["path"] == "/codensm/ingest"
            assert h["authorization"] == "Bearer " + KEY, h
            assert h["content-type"] == "application/json", h
            assert "expect" not in h, h
            body = json.loads(r["body"])
            assert set(body) == {"functions"}, body.keys()
            for f in body["functions"]:
                assert set(f) == SIX, f.keys()
                assert isinstance(f["calls"], int)
                assert isinstance(f["errors"], int)
        check_exact(s, 5000)
        assert not spool_files(tmp + "/spool")
    finally:
        s.close()


def scenario_down_then_spool(tmp):
    """Server down: the app exits in bounded time and spools; the next
    process delivers the spool and its own calls, then removes the file."""
    port, spool = free_port(), tmp + "/spool"
    took = run_app(port, spool, 1000, 300)
    assert took < 4.0, took
    files = spool_files(spool)
    assert one_run_left(files), files
    s = TestServer(port=port, mode="ok")
    try:
        run_app(port, spool, 500, 300)
        t = totals(s.rec.delivered())
        assert t["app.work"][:2] == [1500, errors_of(1000) + errors_of(500)], t
        assert not spool_files(spool), spool_files(spool)
    finally:
        s.close()


def scenario_500(tmp):
    """500 for the first 3 requests: totals exact once it recovers."""
    s = TestServer(mode="fail500", n=3)
    try:
        run_app(s.port, tmp + "/spool", 20000, 1500)
        statuses = [r["status"] for r in s.rec.records]
        assert statuses[:3] == [500, 500, 500], statuses
        assert 200 in statuses, statuses
        check_exact(s, 20000)
        assert not spool_files(tmp + "/spool")
    finally:
        s.close()


def scenario_stall(tmp):
    """A server that stalls for 20 s (past every client timeout): the app's
    run time stays bounded by its own work + CODENSM_EXIT_TIMEOUT, whether
    the stall hits a background flush or the exit flush; the totals arrive
    with the next process."""
    spool = tmp + "/spool"
    s = TestServer(mode="stall", n=2, stall=20)
    try:
        # Stall during a background flush (interval 0.2 s, 0.5 s of work).
        took = run_app(s.port, spool, 1000, 500)
        assert took < 0.5 + 1.0 + 1.5, took
        # Stall at the exit flush (no background flush happens).
        took = run_app(s.port, spool, 300, 0, CODENSM_FLUSH_INTERVAL=60)
        assert took < 1.0 + 1.5, took
        assert len(spool_files(spool)) >= 1
        # The server answers again: a third process delivers everything.
        run_app(s.port, spool, 100, 300)
        t = totals(s.rec.delivered())
        want = 1000 + 300 + 100
        assert t["app.work"][:2] == [want, errors_of(1000) + errors_of(300)
                                     + errors_of(100)], t
        assert not spool_files(spool), spool_files(spool)
    finally:
        s.close()


def scenario_batch(tmp):
    """2500 functions go out in requests of at most 1000 functions, each
    acknowledged on its own; every function exact and announced once."""
    s = TestServer(mode="ok")
    try:
        run_app(s.port, tmp + "/spool", 10, 0, dyn=2500,
                CODENSM_FLUSH_INTERVAL=60)
        sizes = [len(b["functions"]) for b in s.rec.delivered()]
        assert max(sizes) <= 1000 and len(sizes) >= 3, sizes
        t = totals(s.rec.delivered())
        for i in range(2500):
            assert t["dyn.f%d" % i] == [i % 5, 0, 1], (i, t["dyn.f%d" % i])
    finally:
        s.close()


def run_app_proxied(proxy_port, spool, env):
    """Runs rt_app with only the CODENSM_* settings of env and every proxy
    variable pointing at the recording server on proxy_port: any request
    the runtime makes, to any host, arrives there.  Returns its stderr."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CODENSM_") and "proxy" not in k.lower()}
    proxy = "http://127.0.0.1:%d" % proxy_port
    e.update({"http_proxy": proxy, "https_proxy": proxy,
              "HTTPS_PROXY": proxy, "ALL_PROXY": proxy,
              "CODENSM_SPOOL_DIR": spool, "CODENSM_FLUSH_INTERVAL": "0.2",
              "CODENSM_EXIT_TIMEOUT": "1"})
    e.update(env)
    p = subprocess.run([APP, "200", "300", "0"], env=e, timeout=60,
                       stderr=subprocess.PIPE, text=True, check=True)
    return p.stderr


def scenario_endpoint_malformed(tmp):
    """Issue 13.1: an endpoint without a scheme, or a misspelled
    CODENSM_ENDPOINT, with a key: nothing is sent anywhere (no request to
    the named host, none to the hosted default), and stderr says so once.
    The control run (a key alone) shows the test sees a hosted send."""
    s = TestServer(mode="ok")
    try:
        endpoint = "127.0.0.1:%d/codensm/ingest" % s.port
        err = run_app_proxied(s.port, tmp + "/a", {
            "CODENSM_ENDPOINT": endpoint, "CODENSM_API_KEY": KEY})
        assert s.rec.records == [], s.rec.records
        assert err.count('CODENSM_ENDPOINT="%s"' % endpoint) == 1, err
        assert "sending nothing" in err, err
        assert "hosted collector" not in err, err

        err = run_app_proxied(s.port, tmp + "/b", {
            "CODENSM_ENDPIONT": "http://127.0.0.1:%d/x" % s.port,
            "CODENSM_API_KEY": KEY, "CODENSM_KEY": KEY})
        assert s.rec.records == [], s.rec.records
        assert err.count("unknown variable CODENSM_ENDPIONT; did you mean "
                         "CODENSM_ENDPOINT?") == 1, err
        # 4 edits away, but a word of it: said as the name meant.
        assert err.count("unknown variable CODENSM_KEY; did you mean "
                         "CODENSM_API_KEY?") == 1, err
        assert "hosted collector" not in err, err

        # Control: a key and no endpoint at all goes to the hosted default,
        # said once; the recording proxy sees the attempt (and refuses it).
        err = run_app_proxied(s.port, tmp + "/c", {"CODENSM_API_KEY": KEY})
        targets = [r["path"] for r in s.rec.records]
        assert targets and all(t == "thinknorth.consulting:443"
                               for t in targets), targets
        assert err.count("sending function names and counts to the hosted "
                         "collector https://thinknorth.consulting/") == 1, err
    finally:
        s.close()


def scenario_exit_while_loading(tmp):
    """200 short processes against a collector that is down: each exits
    while its flusher may still be loading libcurl and initialising
    OpenSSL.  None may crash (2-3% did when OpenSSL's atexit cleanup ran
    in the middle of that initialisation)."""
    port = free_port()  # nothing listens there
    crashes = []
    for i in range(200):
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("CODENSM_") and "proxy" not in k.lower()}
        e.update({"CODENSM_ENDPOINT": "http://127.0.0.1:%d/x" % port,
                  "CODENSM_API_KEY": KEY, "CODENSM_SPOOL_DIR": tmp + "/spool",
                  "CODENSM_FLUSH_INTERVAL": "0.2", "CODENSM_EXIT_TIMEOUT": "1"})
        p = subprocess.run([APP, "50", str(i % 8), "0"], env=e, timeout=60,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode != 0:
            crashes.append((i, p.returncode))
    assert not crashes, "runs that crashed (run, status): %r" % crashes


SCENARIOS = {
    "exit_while_loading": scenario_exit_while_loading,
    "endpoint_malformed": scenario_endpoint_malformed,
    "ok": scenario_ok,
    "down_then_spool": scenario_down_then_spool,
    "500": scenario_500,
    "stall": scenario_stall,
    "batch": scenario_batch,
}


def main():
    global APP
    APP = os.path.abspath(sys.argv[1])
    return run_scenarios(SCENARIOS, sys.argv[2:], "cnsm-faults-")


if __name__ == "__main__":
    sys.exit(main())
