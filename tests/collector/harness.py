# SPDX-License-Identifier: Apache-2.0
"""harness.py - shared helpers for the collector tests.

Starts codensm-collector on 127.0.0.1 with an ephemeral port (it prints
"listening on http://127.0.0.1:PORT"), talks HTTP with urllib, runs the
CLI, and snapshots the database (Python's sqlite3, or psql) so a test can
prove a refused request changed nothing.  Every server a test starts is
stopped by the context manager, even when the test fails.

Backends: with CNSM_TEST_BACKEND=postgresql (tests/collector/CMakeLists.txt
runs some scripts a second time so), main() starts a throwaway PostgreSQL
(class Postgres: initdb and postgres from Debian's postgresql package, in
a temporary directory, on a loopback port, stopped when the script ends)
and new_db() hands out a fresh database on it as a postgresql:// URI
instead of a file path.  Missing PostgreSQL binaries fail the test.
"""
import json
import os
import shutil
import re
import resource
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = None  # set by main() from argv[1]
BACKEND = os.environ.get("CNSM_TEST_BACKEND", "sqlite")
PG = None  # the Postgres of this script, when BACKEND is postgresql
PG_BIN = os.environ.get("CNSM_PG_BIN", "/usr/lib/postgresql/15/bin")


def stop_process(proc, sig):
    """Sends sig to proc and waits up to 20 s, then SIGKILL; its status."""
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    proc.send_signal(sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    return proc.returncode


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def wait_for(cond, seconds):
    """Polls cond every 50 ms until it is true or seconds pass; returns
    its last value."""
    deadline = time.monotonic() + seconds
    while not cond() and time.monotonic() < deadline:
        time.sleep(0.05)
    return cond()


class Collector:
    """A running `codensm-collector serve`; use as a context manager."""

    def __init__(self, db, extra=(), scheme="http", nofile=None):
        self.db = db
        self.extra = list(extra)
        self.scheme = scheme
        self.nofile = nofile  # the server's limit on open files (soft and hard)
        self.proc = None
        self.port = None
        self.log = tempfile.NamedTemporaryFile(
            mode="w+", prefix="collector-", suffix=".log", delete=False)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        rc = self.stop()
        self.check_no_sanitizer_report()  # the cause of any other failure
        if exc_type is None:
            self.check_clean(rc)
            self.discard_log()
        return False

    def discard_log(self):
        """Removes the log of a server that stopped cleanly; a failed
        check keeps it (its path is in the failure's text) for reading."""
        self.final_log = self.logtext()  # a test may still read it
        self.log.close()
        os.unlink(self.log.name)

    def check_no_sanitizer_report(self):
        """Fails with the report if a sanitizer stopped or warned the server."""
        text = self.logtext()
        for bad in ("AddressSanitizer", "LeakSanitizer", "ThreadSanitizer", "runtime error:"):
            i = text.find(bad)
            check(i < 0, "sanitizer report in the collector log:\n" + text[max(0, i - 200):i + 6000])

    def check_clean(self, rc):
        """A stopped server must have exited 0 with no sanitizer report."""
        self.check_no_sanitizer_report()
        check(rc == 0, "collector exit status %r:\n%s" % (rc, self.logtext()[-3000:]))

    def start(self):
        self.log.seek(0)
        self.log.truncate()
        limit = None
        if self.nofile:
            def limit():
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db] + self.extra,
            stdout=subprocess.DEVNULL, stderr=self.log, preexec_fn=limit)
        deadline = time.time() + 15
        while time.time() < deadline:
            text = self.logtext()
            m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", text)
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                fail("collector exited early:\n" + text)
            time.sleep(0.02)
        self.stop()
        fail("collector did not start:\n" + self.logtext())

    def stop(self, sig=signal.SIGTERM):
        """Stops the server; returns its exit status."""
        return stop_process(self.proc, sig)

    def logtext(self):
        if self.log.closed:
            return self.final_log
        self.log.flush()
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def url(self, path):
        return "%s://127.0.0.1:%d%s" % (self.scheme, self.port, path)

    def request(self, path, data=None, headers=None, method=None):
        """Returns (status, body bytes, headers) without raising on 4xx."""
        req = urllib.request.Request(self.url(path), data=data,
                                     headers=headers or {}, method=method)
        ctx = None
        if self.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        try:
            with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
                return r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            return e.code, e.read(), e.headers

    def get_json(self, path):
        status, body, _ = self.request(path)
        check(status == 200, "GET %s: %d %r" % (path, status, body[:300]))
        return json.loads(body)

    def ingest(self, payload, key, ctype="application/json", extra_headers=None):
        """POSTs payload (dict, str or bytes); returns (status, parsed JSON)."""
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
        if isinstance(payload, str):
            payload = payload.encode("utf-8")
        headers = {}
        if key is not None:
            headers["Authorization"] = "Bearer " + key
        if ctype is not None:
            headers["Content-Type"] = ctype
        headers.update(extra_headers or {})
        status, body, _ = self.request("/codensm/ingest", payload, headers, "POST")
        try:
            return status, json.loads(body)
        except ValueError:
            fail("non-JSON reply %d: %r" % (status, body[:200]))


def cli(*args, check_rc=0):
    """Runs the CLI; returns stdout.  Fails if the exit status differs."""
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=60)
    if check_rc is not None and p.returncode != check_rc:
        fail("%s -> %d (wanted %d)\nstdout: %s\nstderr: %s" % (
            args, p.returncode, check_rc, p.stdout, p.stderr))
    return p.stdout


def cli_result(*args):
    """Runs the CLI; returns (exit status, stdout, stderr), whatever they are."""
    p = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def chromium_or_skip():
    """The browser checks need Debian's chromium (scripts/setup-debian.sh
    installs it; a CI skip of this reason is refused by check-skips)."""
    if shutil.which("chromium") is None:
        print("chromium not installed: skipped")
        sys.exit(77)


def ingest_all(srv, key, functions, per=1000):
    """Sends functions to srv in batches of per, each of which must be stored."""
    for start in range(0, len(functions), per):
        status, reply = srv.ingest({"functions": functions[start:start + per]}, key)
        if status != 200:
            raise AssertionError("ingest %d %r" % (status, reply))


def shop_database(tmp):
    """A new database with a project "shop": (path or URI, its ingest key)."""
    db = new_db(tmp, "c.db")
    return db, key_create(db, "shop")


def key_create(db, project):
    key = cli("key", "create", project, "--db", db).strip()
    check(re.fullmatch(r"cnsm_[0-9a-f]{64}", key) is not None, "bad key " + key)
    return key


def is_pg(db):
    return db.startswith("postgresql://") or db.startswith("postgres://")


def _pg_value(text):
    """A psql field as Python would get it from sqlite3."""
    if text == "":
        return None
    for conv in (int, float):
        try:
            return conv(text)
        except ValueError:
            pass
    return text


def query(db, sql, params=(), text=False):
    """Runs sql (? placeholders) on either backend; returns the rows as
    tuples (with text, every value as a string, as psql prints it).
    Writes are committed."""
    if not is_pg(db):
        con = sqlite3.connect(db, timeout=30)
        try:
            with con:
                return [tuple(str(v) if text and v is not None else v for v in r)
                        for r in con.execute(sql, params)]
        finally:
            con.close()
    for p in params:  # inlined as literals: the tests' own values only
        lit = str(p) if isinstance(p, (int, float)) else "'%s'" % str(p).replace("'", "''")
        sql = sql.replace("?", lit, 1)
    p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                        "-d", db, "-c", sql], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "psql %s: %s" % (sql, p.stderr))
    return [tuple(f if text else _pg_value(f) for f in line.split("\x1f"))
            for line in p.stdout.splitlines() if line]


def snapshot(db):
    """Everything ingest can change, as comparable values."""
    rows = {}
    rows["counts"] = query(db, "SELECT COUNT(*), COALESCE(SUM(calls), 0), COALESCE(SUM(errors), 0),"
                               " COALESCE(SUM(total_ms), 0) FROM counts")[0]
    rows["functions"] = query(
        db, "SELECT project, name, department, value_weight FROM functions ORDER BY 1, 2")
    rows["per_fn"] = query(
        db, "SELECT project, name, SUM(calls), SUM(errors), COALESCE(SUM(total_ms), 0) FROM counts"
            " GROUP BY 1, 2 ORDER BY 1, 2")
    return rows


def totals(db, project):
    """{name: (calls, errors, total_ms)} for a project, all time."""
    return {n: (c, e, float(t)) for n, c, e, t in query(
        db, "SELECT name, SUM(calls), SUM(errors), COALESCE(SUM(total_ms), 0) FROM counts"
            " WHERE project = ? GROUP BY name", (project,))}


def new_db(tmp, name):
    """A database that does not exist yet: a file in tmp, or on PostgreSQL
    a new empty database (the collector creates its schema)."""
    if BACKEND != "postgresql":
        return os.path.join(tmp, name)
    return PG.create_db()


class Postgres:
    """A throwaway PostgreSQL server: initdb in a temporary directory,
    postgres on 127.0.0.1 and a free port, its socket in that directory,
    trust authentication for the user "codensm".  PostgreSQL refuses to
    run as root, so as root the cluster belongs to "nobody".  Use as a
    context manager; stop() is bounded in time."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cnsm-pg-")
        self.proc = None
        self.port = None
        self.ndb = 0
        self.as_user = []
        if os.geteuid() == 0:
            os.chown(self.dir, 65534, 65534)
            self.as_user = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop()
        return False

    def tool(self, name):
        path = os.path.join(PG_BIN, name)
        check(os.access(path, os.X_OK),
              "%s not found: install Debian's postgresql (scripts/setup-debian.sh)"
              " or set CNSM_PG_BIN" % path)
        return path

    def start(self):
        data = os.path.join(self.dir, "data")
        p = subprocess.run(self.as_user + [self.tool("initdb"), "-D", data, "-U", "codensm",
                                           "--auth=trust", "-E", "UTF8", "--locale=C",
                                           "--no-sync", "--no-instructions"],
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 0, "initdb failed: " + p.stderr)
        for _ in range(3):  # the free port may be taken before postgres binds it
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
            s.close()
            if self.launch():
                return
        fail("postgres did not start:\n" + open(os.path.join(self.dir, "postgres.log")).read())

    def launch(self):
        """Starts postgres on self.port; True once it answers (30 s)."""
        self.log = open(os.path.join(self.dir, "postgres.log"), "a")
        self.proc = subprocess.Popen(
            self.as_user + [self.tool("postgres"), "-D", os.path.join(self.dir, "data"),
                            "-h", "127.0.0.1", "-p", str(self.port), "-k", self.dir,
                            "-c", "fsync=off", "-c", "max_connections=300",
                            "-c", "shared_buffers=32MB"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline and self.proc.poll() is None:
            if subprocess.run(["psql", "-X", "-q", "-d", self.uri("postgres"), "-c", "SELECT 1"],
                              capture_output=True).returncode == 0:
                return True
            time.sleep(0.1)
        self.stop_server()
        return False

    def uri(self, db):
        return "postgresql://codensm@127.0.0.1:%d/%s" % (self.port, db)

    def create_db(self):
        self.ndb += 1
        name = "cnsm_%d" % self.ndb
        query(self.uri("postgres"), "CREATE DATABASE %s" % name)
        return self.uri(name)

    def stop_server(self, sig=signal.SIGINT):
        """Stops postgres (SIGINT: fast shutdown); SIGKILL after 20 s."""
        stop_process(self.proc, sig)

    def restart(self):
        """Stops and starts the server on the same port and data."""
        self.stop_server()
        check(self.launch(), "postgres did not restart")

    def stop(self):
        self.stop_server()
        shutil.rmtree(self.dir, ignore_errors=True)


def main(test):
    """Entry point of a test script: argv[1] is the collector binary."""
    global BIN, PG
    BIN = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="cnsm-test-") as tmp:
        try:
            if BACKEND == "postgresql":
                with Postgres() as PG:
                    test(tmp)
            else:
                test(tmp)
        except AssertionError as e:
            print("FAIL:", e, file=sys.stderr)
            sys.exit(1)
    print("ok (%s)" % BACKEND)
