# SPDX-License-Identifier: Apache-2.0
"""harness.py - shared helpers for the collector tests.

Starts codensm-collector on 127.0.0.1 with an ephemeral port (it prints
"listening on http://127.0.0.1:PORT"), talks HTTP with urllib, runs the
CLI, and snapshots the database with Python's sqlite3 so a test can
prove a refused request changed nothing.  Every server a test starts is
stopped by the context manager, even when the test fails.
"""
import json
import os
import shutil
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = None  # set by main() from argv[1]


def fail(msg):
    raise AssertionError(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


class Collector:
    """A running `codensm-collector serve`; use as a context manager."""

    def __init__(self, db, extra=(), scheme="http"):
        self.db = db
        self.extra = list(extra)
        self.scheme = scheme
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
        return False

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
        self.proc = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--db", self.db] + self.extra,
            stdout=subprocess.DEVNULL, stderr=self.log)
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
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        return self.proc.returncode

    def logtext(self):
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


def shop_database(tmp):
    """A database in tmp with a project "shop": (path, its ingest key)."""
    db = os.path.join(tmp, "c.db")
    return db, key_create(db, "shop")


def key_create(db, project):
    key = cli("key", "create", project, "--db", db).strip()
    check(re.fullmatch(r"cnsm_[0-9a-f]{64}", key) is not None, "bad key " + key)
    return key


def snapshot(db):
    """Everything ingest can change, as comparable values."""
    con = sqlite3.connect(db, timeout=30)
    try:
        rows = {}
        rows["counts"] = con.execute(
            "SELECT COUNT(*), TOTAL(calls), TOTAL(errors), TOTAL(total_ms) FROM counts").fetchone()
        rows["functions"] = con.execute(
            "SELECT project, name, department, value_weight FROM functions ORDER BY 1, 2").fetchall()
        rows["per_fn"] = con.execute(
            "SELECT project, name, SUM(calls), SUM(errors), TOTAL(total_ms) FROM counts"
            " GROUP BY 1, 2 ORDER BY 1, 2").fetchall()
        return rows
    finally:
        con.close()


def totals(db, project):
    """{name: (calls, errors, total_ms)} for a project, all time."""
    con = sqlite3.connect(db, timeout=30)
    try:
        return {n: (c, e, t) for n, c, e, t in con.execute(
            "SELECT name, SUM(calls), SUM(errors), TOTAL(total_ms) FROM counts"
            " WHERE project = ? GROUP BY name", (project,))}
    finally:
        con.close()


def main(test):
    """Entry point of a test script: argv[1] is the collector binary."""
    global BIN
    BIN = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="cnsm-test-") as tmp:
        try:
            test(tmp)
        except AssertionError as e:
            print("FAIL:", e, file=sys.stderr)
            sys.exit(1)
    print("ok")
