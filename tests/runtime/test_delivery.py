#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""test_delivery.py - issue 13 over real HTTP: what the runtime says when
it cannot deliver, and that what finally arrives at the REAL collector
(codensm-collector, SQLite) is exact - nothing lost, nothing counted twice.

Usage: test_delivery.py RT_APP RT_DELIVERY RT_POISON COLLECTOR [scenario ...]

A loopback TCP proxy (Proxy below) sits in front of the collector where a
scenario needs to see or break the exchange: it records every request's
Idempotency-Key and body and every answer's status and body, and can
forward a request and then drop its answer (the collector stored it; the
sender never learns it).
"""
import hashlib
import json
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "collector"))
sys.path.insert(0, HERE)
import harness  # noqa: E402
from scenarios import free_port, live_dir, one_run_left, run_scenarios, spool_files  # noqa: E402,E501

APP = DLV = POISON = HARD = None
PATH = "/codensm/ingest"


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def errors_of(calls):
    return len(range(0, calls, 7))


class Collector:
    """codensm-collector serve on a fixed loopback port (so a test can run
    an application against it while it is down, then start it)."""

    def __init__(self, db, port):
        self.db, self.port = db, port
        self.log = open(db + ".log", "w+")
        self.proc = subprocess.Popen(
            [harness.BIN, "serve", "--listen", "127.0.0.1:%d" % port,
             "--db", db], stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 15
        while time.time() < deadline:
            with open(self.log.name) as f:
                if re.search(r"listening on", f.read()):
                    return
            check(self.proc.poll() is None, "collector exited early")
            time.sleep(0.02)
        raise AssertionError("collector did not start")

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def read_http(f):
    """One HTTP message (head, body) from a buffered socket file, or None."""
    head = b""
    while True:
        line = f.readline()
        if not line:
            return None
        head += line
        if line in (b"\r\n", b"\n"):
            break
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head, f.read(length) if length else b""


class Proxy:
    """Loopback TCP proxy to 127.0.0.1:target.  drop(n) forwards the next
    n requests and drops their answers (closes the client's connection);
    drop_all keeps doing so until cleared; swallow_all closes the client's
    connection without forwarding the request (not stored, no answer)."""

    def __init__(self, target):
        self.target = target
        self.records = []  # dicts: key, body, status, answer, dropped
        self.lock = threading.Lock()
        self.to_drop, self.drop_all, self.swallow_all = 0, False, False
        self.hold_all = False
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(client,),
                             daemon=True).start()

    def serve(self, client):
        up = socket.create_connection(("127.0.0.1", self.target), timeout=30)
        cf, uf = client.makefile("rb"), up.makefile("rb")
        try:
            while True:
                req = read_http(cf)
                if req is None:
                    return
                if self.swallow_all:
                    with self.lock:
                        self.records.append({"key": None, "body": req[1].decode(),
                                             "status": 0, "answer": "", "dropped": True})
                    return
                up.sendall(req[0] + req[1])
                ans = read_http(uf)
                if ans is None:
                    return
                key = re.search(rb"(?im)^Idempotency-Key:\s*(\S+)", req[0])
                with self.lock:
                    drop = self.drop_all or self.to_drop > 0
                    self.to_drop -= 1 if self.to_drop > 0 else 0
                    self.records.append({
                        "key": key.group(1).decode() if key else None,
                        "body": req[1].decode("utf-8", "replace"),
                        "status": int(ans[0].split()[1]),
                        "answer": ans[1].decode("utf-8", "replace"),
                        "dropped": drop})
                while self.hold_all:  # stored; the answer is on its way
                    time.sleep(0.02)
                if drop:
                    return  # the collector stored it; the answer is lost
                client.sendall(ans[0] + ans[1])
        except OSError:
            pass
        finally:
            client.close()
            up.close()

    def close(self):
        self.sock.close()


def run(prog, args, port, spool, key, path=PATH, timeout=60, check_rc=True,
        **env):
    """Runs prog against http://127.0.0.1:port/path; (stdout, stderr)."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CODENSM_") and "proxy" not in k.lower()}
    e.update({"CODENSM_ENDPOINT": "http://127.0.0.1:%d%s" % (port, path),
              "CODENSM_API_KEY": key, "CODENSM_SPOOL_DIR": spool,
              "CODENSM_FLUSH_INTERVAL": "0.2", "CODENSM_EXIT_TIMEOUT": "2",
              "NO_PROXY": "*", "no_proxy": "*"})
    e.update({k: str(v) for k, v in env.items()})
    p = subprocess.run([prog] + [str(a) for a in args], env=e,
                       capture_output=True, text=True, timeout=timeout)
    check(not check_rc or p.returncode == 0,
          "%s exited %d: %s" % (prog, p.returncode, p.stderr))
    return p.stdout, p.stderr


def kinds(spool):
    """The kinds of the spool's files (.json, .batch, .live), sorted."""
    return sorted("." + re.sub(r"\.claimed-\d+$", "", f).rsplit(".", 1)[1]
                  for f in spool_files(spool))


def sink_prefixes(port, key):
    """The 16 hex digits a spool file of (endpoint, key) starts with - and
    the old, endpoint-only FNV-1a name, so a test also hits the old code."""
    endpoint = "http://127.0.0.1:%d%s" % (port, PATH)
    new = hashlib.sha256((endpoint + "\n" + key).encode()).hexdigest()
    h = 1469598103934665603
    for b in endpoint.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return endpoint, new, ["%s" % new[:16], "%016x" % h]


def totals(db, project):
    return harness.totals(db, project)


def lines(stderr, text):
    return [l for l in stderr.splitlines() if text in l]


# ---- 2. loud failures -------------------------------------------------------

def scenario_loud(tmp):
    """A wrong key, a wrong path, an unreachable collector, a file sink that
    cannot be written: one line each on stderr without CODENSM_DEBUG, saying
    what to do; nothing on stdout; however many flushes fail."""
    db, port = tmp + "/c.db", free_port()
    harness.key_create(db, "p")
    with Collector(db, port):
        out, err = run(APP, [2000, 600], port, tmp + "/s1", "cnsm_wrong_key",
                       CODENSM_FLUSH_INTERVAL=0.05)
        check(out == "", out)
        check(len(lines(err, "refused the key (401)")) == 1, err)
        check("CODENSM_API_KEY" in err, err)
        check(len(lines(err, "codensm:")) <= 2, err)
        out, err = run(APP, [2000, 600], port, tmp + "/s2", "k",
                       path="/codensm/wrong", CODENSM_FLUSH_INTERVAL=0.05)
        check(out == "", out)
        check(len(lines(err, "no ingest endpoint at that path")) == 1, err)
        check(len(lines(err, "codensm:")) <= 2, err)
    out, err = run(APP, [2000, 600], free_port(), tmp + "/s3", "k",
                   CODENSM_FLUSH_INTERVAL=0.05)
    check(out == "", out)
    check(len(lines(err, "cannot reach the collector")) == 1, err)
    check(len(lines(err, "codensm:")) <= 2, err)
    # A file sink in a directory that does not exist (said only under
    # CODENSM_DEBUG before round twenty-five: an OpenSSH trial's typo).
    out, err = run(APP, [2000, 600], free_port(), tmp + "/s4", "k",
                   CODENSM_ENDPOINT="file://%s/no/such/dir/sink.jsonl" % tmp,
                   CODENSM_FLUSH_INTERVAL=0.05)
    check(out == "", out)
    check(len(lines(err, "cannot write the file sink")) == 1, err)
    check(len(lines(err, "codensm:")) <= 2, err)


# ---- 3. the spool is per endpoint AND key ----------------------------------

def scenario_spool_projects(tmp):
    """Figures spooled under project A's key are never sent with project
    B's key to the same endpoint; A's next run delivers them to A.  The key
    appears in no spool file name or content."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    ka, kb = harness.key_create(db, "pa"), harness.key_create(db, "pb")
    run(APP, [1000, 0], port, spool, ka)  # collector down: spooled
    files = spool_files(spool)
    check(one_run_left(files), files)
    for f in files:
        check(ka not in f, f)
        d = spool if os.path.exists(os.path.join(spool, f)) else live_dir(spool)
        with open(os.path.join(d, f), "rb") as fh:
            check(ka.encode() not in fh.read(), "the key in clear in " + f)
    with Collector(db, port):
        run(APP, [500, 300], port, spool, kb)
        check(totals(db, "pb")["app.work"][:2] == (500, errors_of(500)),
              totals(db, "pb"))
        check(totals(db, "pa") == {}, totals(db, "pa"))
        run(APP, [300, 300], port, spool, ka)
        check(totals(db, "pa")["app.work"][:2] ==
              (1300, errors_of(1000) + errors_of(300)), totals(db, "pa"))
        check(spool_files(spool) == [], spool_files(spool))


# ---- 4. one poison entry never stops delivery ------------------------------

def scenario_poison(tmp):
    """Names with a non-UTF-8 byte, a control character or 700 bytes,
    departments empty, 300 bytes or with a tab (also from
    CODENSM_DEPARTMENTS), and a spool entry the collector must refuse
    (calls beyond 2^53-1): everything valid arrives exactly, the refused
    entry is dropped with one warning naming the count."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    endpoint, h, prefixes = sink_prefixes(port, key)
    os.makedirs(spool)
    fns = [{"name": "spool.good", "department": "core", "value_weight": 1,
            "calls": 5, "errors": 1, "total_ns": 1000},
           {"name": "spool.poison", "department": "core", "value_weight": 1,
            "calls": 2 ** 53 + 10, "errors": 0, "total_ns": 0}]
    with open(os.path.join(spool, prefixes[0] + "-1-1.json"), "w") as f:
        json.dump({"sink": h, "endpoint": endpoint, "functions": fns}, f)
    n = 40
    with Collector(db, port):
        _, err = run(POISON, [n], port, spool, key,
                     CODENSM_DEPARTMENTS="dlv.ok=" + "q" * 300 +
                     ",dlv.nodept=")
        t = totals(db, "p")
        half = (n + 1) // 2
        for name in ["dlv.ok", "dlv.bad\ufffd\ufffd.latin1", "dlv.nodept",
                     "dlv.ctrl\ufffdname", "dlv.longdept"]:
            check(t.get(name, (0, 0))[:2] == (n, half), (name, t.get(name)))
        longs = [k for k in t if k.startswith("dlv.long_")]
        check(len(longs) == 1 and len(longs[0].encode()) <= 512, longs)
        check(t[longs[0]][:2] == (n, half), t[longs[0]])
        check(t.get("spool.good", (0, 0))[:2] == (5, 1), t.get("spool.good"))
        check("spool.poison" not in t, t.get("spool.poison"))
        refused = lines(err, "refused 1 function(s) for good")
        check(len(refused) == 1 and "spool.poison" in refused[0], err)
        check(spool_files(spool) == [], spool_files(spool))


# ---- 5. errors <= calls in every delta --------------------------------------

def scenario_errors_le_calls(tmp):
    """Two threads on an always-failing function, flushes every 10 ms,
    through a recording proxy to the real collector (which refuses a delta
    with more errors than calls): every request is accepted, the totals
    are exact, the spool is empty."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    n = 3000000
    with Collector(db, port):
        px = Proxy(port)
        run(DLV, [n], px.port, spool, key,
            CODENSM_FLUSH_INTERVAL=0.01)
        statuses = [r["status"] for r in px.records]
        check(len(statuses) >= 10, "too few flushes: %r" % statuses)
        bad = [r for r in px.records if r["status"] != 200]
        check(not bad, "%d of %d refused, e.g. %r" % (
            len(bad), len(statuses), bad[:1]))
        check(totals(db, "p")["dlv.fail"][:2] == (2 * n, 2 * n),
              totals(db, "p")["dlv.fail"])
        check(spool_files(spool) == [], spool_files(spool))
        px.close()


# ---- 6. exactly once --------------------------------------------------------

def body_calls(body, name="app.work"):
    return sum(f["calls"] for f in json.loads(body)["functions"]
               if f["name"] == name)


def scenario_exactly_once(tmp):
    """The collector stores the first batch, its answer is lost: the app
    resends the same body under the same Idempotency-Key, the collector
    answers duplicate, and the totals are exactly the calls made."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    with Collector(db, port):
        px = Proxy(port)
        px.to_drop = 1
        run(APP, [20000, 1500], px.port, spool, key)
        check(totals(db, "p")["app.work"][:2] == (20000, errors_of(20000)),
              "stored %r for 20000 calls" % (totals(db, "p")["app.work"],))
        r = px.records
        check(len(r) >= 3 and r[0]["dropped"] and r[0]["status"] == 200, r[:2])
        check(all(x["key"] and re.fullmatch(r"[0-9a-f]{32}-\d+", x["key"])
                  for x in r), [x["key"] for x in r])
        check(r[1]["key"] == r[0]["key"] and r[1]["body"] == r[0]["body"],
              "the retry is not the same batch: %r" % r[:2])
        check('"duplicate":true' in r[1]["answer"].replace(" ", ""), r[1])
        check(len({x["key"] for x in r}) == len(r) - 1, "keys reused")
        check(spool_files(spool) == [], spool_files(spool))
        px.close()


def app_env(port, key, spool, extra=None):
    """The app's environment: the caller's without CODENSM_* and proxies,
    sending through the proxy on port every 0.2 s, plus extra."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("CODENSM_") and "proxy" not in k.lower()}
    e.update({"CODENSM_ENDPOINT": "http://127.0.0.1:%d%s" % (port, PATH),
              "CODENSM_API_KEY": key, "CODENSM_SPOOL_DIR": spool,
              "CODENSM_FLUSH_INTERVAL": "0.2", "NO_PROXY": "*"})
    e.update(extra or {})
    return e


HARD_CALLS = 7000


def no_core():
    """In the child before exec: abort() leaves no core file behind."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def start_hard_end(how, env):
    """Starts rt_hardend HOW HARD_CALLS under env; returns it once it has
    counted all its calls."""
    p = subprocess.Popen([HARD, how, str(HARD_CALLS)], env=env,
                         stdout=subprocess.PIPE, text=True, preexec_fn=no_core)
    check(p.stdout.readline() == "counted\n", "rt_hardend did not count")
    return p


def kill_after_posts(px, posts, env):
    """Runs rt_hardend (HARD_CALLS calls, then waits) under env until the
    proxy px has seen posts POSTs (at most 20 s), then SIGKILLs it: no exit
    flush."""
    p = start_hard_end("wait", env)
    deadline = time.time() + 20
    while len(px.records) < posts and time.time() < deadline:
        time.sleep(0.05)
    p.kill()
    p.wait()


def scenario_exactly_once_killed(tmp):
    """Every answer is lost, then the app is killed (SIGKILL: no exit
    flush).  The frozen batch was written to the spool when it froze; a
    second process resends it verbatim under its key: the collector has
    the first batch once, plus the second process's calls."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    with Collector(db, port):
        px = Proxy(port)
        px.drop_all = True
        kill_after_posts(px, 3, app_env(px.port, key, spool))
        px.drop_all = False
        r = list(px.records)
        check(len(r) >= 3, r)
        check(len({x["key"] for x in r}) == 1 and
              len({x["body"] for x in r}) == 1, "not resent verbatim")
        first = body_calls(r[0]["body"])
        check(first > 0, r[0]["body"])
        check(kinds(spool) == [".batch", ".live"], spool_files(spool))
        run(APP, [500, 300], px.port, spool, key)
        check(any(x["key"] == r[0]["key"] and '"duplicate":true' in
                  x["answer"].replace(" ", "") for x in px.records[len(r):]),
              "the frozen batch was not resent: %r" % px.records[len(r):])
        got = totals(db, "p")["app.work"][0]
        check(got == HARD_CALLS + 500,
              "stored %d calls, made %d + 500" % (got, HARD_CALLS))
        check(spool_files(spool) == [], spool_files(spool))
        px.close()


def scenario_spool_labels(tmp):
    """A batch frozen by a process of version 1.2 on instance a (no
    answer, nothing stored; then SIGKILL) is resent by the next process,
    of version 1.3 on instance b, with the labels it was counted under;
    the new process's own calls carry its own."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    with Collector(db, port):
        px = Proxy(port)
        px.swallow_all = True
        kill_after_posts(px, 2, app_env(px.port, key, spool, {
            "CODENSM_VERSION": "1.2", "CODENSM_INSTANCE": "a"}))
        px.swallow_all = False
        check(len(px.records) >= 2, px.records)
        first = body_calls(px.records[0]["body"])
        check(kinds(spool) == [".batch", ".live"], spool_files(spool))
        run(APP, [500, 300], px.port, spool, key, CODENSM_VERSION="1.3",
            CODENSM_INSTANCE="b")
        con = sqlite3.connect(db)
        rows = con.execute("SELECT version, instance, SUM(calls) FROM counts"
                           " WHERE name = 'app.work' GROUP BY 1, 2 ORDER BY 1").fetchall()
        con.close()
        # Calls counted after the frozen batch (none, unless the first
        # flush came before the last call) travel with the sender's labels.
        later = HARD_CALLS - first
        check(rows == [("1.2", "a", first), ("1.3", "b", 500 + later)],
              "stored %r; wanted %d calls under 1.2/a, %d under 1.3/b" %
              (rows, first, 500 + later))
        check(spool_files(spool) == [], spool_files(spool))
        px.close()


# ---- 7. hard ends ------------------------------------------------------------

def scenario_hard_ends(tmp):
    """A process that ends by SIGTERM's default action, abort(), _exit()
    or SIGKILL before any flush (one thread of three exited before the
    end): what it counted reaches the collector through the next process
    of the same endpoint and key, exactly once, and its live file goes."""
    ends = [("sigterm", -signal.SIGTERM), ("abort", -signal.SIGABRT),
            ("_exit", 3), ("wait", -signal.SIGKILL)]
    for how, status in ends:
        db, port = "%s/%s.db" % (tmp, how), free_port()
        spool = "%s/spool-%s" % (tmp, how)
        key = harness.key_create(db, "p")
        with Collector(db, port):
            env = app_env(port, key, spool, {"CODENSM_FLUSH_INTERVAL": "3600"})
            p = start_hard_end(how, env)
            if how == "wait":
                p.kill()
            rc = p.wait(timeout=30)
            check(rc == status, "%s: exit status %d, wanted %d" % (how, rc, status))
            check(totals(db, "p") == {}, "%s: sent before its end: %r" %
                  (how, totals(db, "p")))
            check(kinds(spool) == [".live"], "%s: %r" % (how, spool_files(spool)))
            run(APP, [500, 300], port, spool, key)
            want = (HARD_CALLS + 500, errors_of(HARD_CALLS) + errors_of(500))
            check(totals(db, "p")["app.work"][:2] == want,
                  "%s: stored %r, made %r" % (how, totals(db, "p")["app.work"], want))
            check(spool_files(spool) == [], "%s: %r" % (how, spool_files(spool)))


def scenario_hard_end_chain(tmp):
    """Sixteen processes in a row, each killed (SIGKILL) at a random moment
    after it counted: while its flusher takes the previous one's live file
    over, sends, or waits; half with a flush every 5 ms.  Then one that
    exits normally: the collector has every call once."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    rng = random.Random(13)
    runs = 16
    with Collector(db, port):
        for i in range(runs):
            interval = "3600" if i % 2 else "0.005"
            env = app_env(port, key, spool, {"CODENSM_FLUSH_INTERVAL": interval})
            p = start_hard_end("wait", env)
            time.sleep(rng.uniform(0, 0.03))
            p.kill()
            p.wait()
        run(APP, [500, 300], port, spool, key)
        want = (runs * HARD_CALLS + 500,
                runs * errors_of(HARD_CALLS) + errors_of(500))
        check(totals(db, "p")["app.work"][:2] == want,
              "stored %r, made %r" % (totals(db, "p")["app.work"], want))
        check(spool_files(spool) == [], spool_files(spool))


def scenario_spawned_children(tmp):
    """A process that forks and execs twenty children: each child had its
    own live file (a copy made at the fork) that the exec left to nobody.
    The process takes them over while it runs (its spool is looked at
    again every four flushes): after a second only its own live file is
    left; killed, the next process delivers its calls once."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    with Collector(db, port):
        env = app_env(port, key, spool, {"CODENSM_FLUSH_INTERVAL": "0.05"})
        p = start_hard_end("spawn", env)
        check(p.stdout.readline() == "spawned\n", "did not spawn")
        deadline = time.time() + 10
        while len(spool_files(spool)) > 1 and time.time() < deadline:
            time.sleep(0.05)
        check(kinds(spool) == [".live"], spool_files(spool))
        p.kill()
        p.wait()
        run(APP, [500, 300], port, spool, key)
        want = (HARD_CALLS + 500, errors_of(HARD_CALLS) + errors_of(500))
        check(totals(db, "p")["app.work"][:2] == want,
              "stored %r, made %r" % (totals(db, "p")["app.work"], want))
        check(spool_files(spool) == [], spool_files(spool))


def scenario_hard_end_fork(tmp):
    """A process forks, parent and child count, and both are killed: each
    had its own live file (the child's a copy of the parent's, made at the
    fork); the next process delivers both, the child's calls once."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    with Collector(db, port):
        env = app_env(port, key, spool, {"CODENSM_FLUSH_INTERVAL": "3600"})
        p = subprocess.Popen([HARD, "fork", str(HARD_CALLS)], env=env,
                             stdout=subprocess.PIPE, text=True,
                             start_new_session=True)
        for _ in range(2):
            check(p.stdout.readline() == "counted\n", "did not count")
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        time.sleep(0.2)  # the child, reaped by init
        check(kinds(spool) == [".live", ".live"], spool_files(spool))
        run(APP, [500, 300], port, spool, key)
        want = (2 * HARD_CALLS + 500,
                2 * errors_of(HARD_CALLS) + errors_of(500))
        check(totals(db, "p")["app.work"][:2] == want,
              "stored %r, made %r" % (totals(db, "p")["app.work"], want))
        check(spool_files(spool) == [], spool_files(spool))


def scenario_hard_end_in_flight(tmp):
    """SIGKILL while a batch is in flight: the collector stored it, its
    answer never came back.  The next process resends that batch under its
    key (the collector answers duplicate) and delivers the rest: stored
    once, exactly what was counted."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    with Collector(db, port):
        px = Proxy(port)
        px.hold_all = True
        p = start_hard_end("wait", app_env(px.port, key, spool))
        deadline = time.time() + 20
        while not px.records and time.time() < deadline:
            time.sleep(0.02)
        p.kill()
        p.wait()
        px.hold_all = False
        check(len(px.records) == 1, px.records)
        first = px.records[0]
        check(totals(db, "p")["app.work"][0] == body_calls(first["body"]),
              "the held batch was not stored")
        check(kinds(spool) == [".live"], spool_files(spool))
        run(APP, [500, 300], px.port, spool, key)
        check(any(x["key"] == first["key"] and '"duplicate":true' in
                  x["answer"].replace(" ", "") for x in px.records[1:]),
              "the batch in flight was not resent: %r" % px.records[1:])
        want = (HARD_CALLS + 500, errors_of(HARD_CALLS) + errors_of(500))
        check(totals(db, "p")["app.work"][:2] == want,
              "stored %r, made %r" % (totals(db, "p")["app.work"], want))
        check(spool_files(spool) == [], spool_files(spool))
        px.close()


# ---- 8. the spool does not trust its directory ------------------------------

def scenario_spool_fifo(tmp):
    """A FIFO named like a spool file: the app exits in bounded time and
    the FIFO is moved aside."""
    port, spool = free_port(), tmp + "/spool"
    os.makedirs(spool)
    _, _, prefixes = sink_prefixes(port, "k")
    for p in prefixes:
        os.mkfifo(os.path.join(spool, p + "-1-1.json"))
    t = time.monotonic()
    try:
        run(APP, [200, 0], port, spool, "k", timeout=15)
    except subprocess.TimeoutExpired:
        raise AssertionError("the app hung on a FIFO in the spool")
    check(time.monotonic() - t < 10, time.monotonic() - t)
    check(len(spool_files(spool, corrupt=True)) == 1, os.listdir(spool))


def scenario_spool_big(tmp):
    """A 200 MB file named like a spool file is not read (it is set aside)
    and the rest is delivered."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    os.makedirs(spool)
    _, _, prefixes = sink_prefixes(port, key)
    for p in prefixes:
        with open(os.path.join(spool, p + "-1-1.json"), "wb") as f:
            f.truncate(200 << 20)
    with Collector(db, port):
        t = time.monotonic()
        _, err = run(APP, [300, 300], port, spool, key)
        check(time.monotonic() - t < 5, time.monotonic() - t)
        check(totals(db, "p")["app.work"][:2] == (300, errors_of(300)),
              totals(db, "p"))
    check(len(spool_files(spool, corrupt=True)) == 1, os.listdir(spool))
    check(len(lines(err, "larger than 64 MB")) == 1, err)


def scenario_spool_corrupt(tmp):
    """A corrupt spool file is moved aside with one warning; the rest (a
    good spool file and the app's own calls) is delivered exactly."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    run(APP, [700, 0], port, spool, key)  # down: a good spool file
    _, _, prefixes = sink_prefixes(port, key)
    for p in prefixes:
        with open(os.path.join(spool, p + "-2-2.json"), "w") as f:
            f.write('{"sink": "x", "functions": [{"name": ')
    with Collector(db, port):
        _, err = run(APP, [300, 300], port, spool, key)
        check(totals(db, "p")["app.work"][:2] ==
              (1000, errors_of(700) + errors_of(300)), totals(db, "p"))
    check(len(spool_files(spool, corrupt=True)) == 1, os.listdir(spool))
    check([f for f in spool_files(spool) if f.startswith(prefixes[0])] == [],
          os.listdir(spool))
    check(len(lines(err, "corrupt")) == 1, err)


def scenario_spool_bounded(tmp):
    """20 runs against a down collector leave one spool file, whose total
    is exact once the collector is up."""
    db, port, spool = tmp + "/c.db", free_port(), tmp + "/spool"
    key = harness.key_create(db, "p")
    for _ in range(20):
        # 200 ms of work: the flusher thread's first send (which loads
        # libcurl and OpenSSL) ends before exit() runs OpenSSL's cleanup;
        # exiting during that load can crash (a known race, also before).
        run(APP, [50, 200], port, spool, key, CODENSM_EXIT_TIMEOUT=0.5)
    check(one_run_left(spool_files(spool)), spool_files(spool))
    with Collector(db, port):
        run(APP, [50, 300], port, spool, key)
        check(totals(db, "p")["app.work"][:2] == (21 * 50, 21 * errors_of(50)),
              totals(db, "p"))
    check(spool_files(spool) == [], spool_files(spool))


SCENARIOS = {name[9:]: f for name, f in globals().items()
             if name.startswith("scenario_")}


def main():
    global APP, DLV, POISON, HARD
    APP, DLV, POISON = [os.path.abspath(a) for a in sys.argv[1:4]]
    HARD = os.path.join(os.path.dirname(APP), "rt_hardend")
    harness.BIN = os.path.abspath(sys.argv[4])
    return run_scenarios(SCENARIOS, sys.argv[5:], "cnsm-delivery-")


if __name__ == "__main__":
    sys.exit(main())
