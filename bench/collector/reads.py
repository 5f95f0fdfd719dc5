#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""reads.py - how long the collector's reads take on a store of millions
of rows, on SQLite and on PostgreSQL.

  reads.py fill  --build BUILD (--db FILE | --pg DIR) [fill_store args...]
  reads.py time  --collector BIN (--db FILE | --pg DIR) [--reps 5]
                 [--save DIR]

`fill` builds fill_store.c against BUILD's collector library and fills
the store (see fill_store.c for its shape; about 6 million rows of
counts at the defaults).  `--pg DIR` keeps a PostgreSQL cluster in DIR
(created on first use, as tests/collector/harness.py does: loopback
only, trust authentication, fsync off, as `nobody` when run as root) and
uses its database `bench`.

`time` starts `codensm-collector serve` on the store and times, each
--reps times in turn: GET /metrics, /api/report of the default window
(24 hours) and of since=1h, 7d and all, and the CLI's `report --json`
(24 hours) and `report --since 1h`; it prints the median and the spread
of each, in seconds.  --save DIR keeps each answer of the last round
(bodies), so two builds' answers can be compared byte for byte: all-time
answers always, windowed ones when both ran in the same minute.
Speed is a figure for bench/results/, never a pass or fail."""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PG_BIN = os.environ.get("CNSM_PG_BIN", "/usr/lib/postgresql/15/bin")
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

READS = [  # (name, HTTP path or CLI arguments)
    ("/metrics", "/metrics"),
    ("/api/report (24h)", "/api/report?project=bench"),
    ("/api/report since=1h", "/api/report?project=bench&since=1h"),
    ("/api/report since=7d", "/api/report?project=bench&since=7d"),
    ("/api/report since=all", "/api/report?project=bench&since=all"),
    ("report --json (24h)", ["report", "--project", "bench", "--json"]),
    ("report --since 1h", ["report", "--project", "bench", "--since", "1h"]),
]


def pg_user():
    return AS_NOBODY if os.geteuid() == 0 else []


def pg_start(cluster):
    """Starts (creating on first use) the cluster in cluster; returns
    (process, URI of the database bench)."""
    data = os.path.join(cluster, "data")
    if not os.path.isdir(data):
        os.makedirs(cluster, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(cluster, 65534, 65534)
        subprocess.run(pg_user() + [os.path.join(PG_BIN, "initdb"), "-D", data,
                                    "-U", "codensm", "--auth=trust", "-E", "UTF8",
                                    "--locale=C", "--no-sync"],
                       check=True, capture_output=True)
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    log = open(os.path.join(cluster, "postgres.log"), "a")
    proc = subprocess.Popen(pg_user() + [os.path.join(PG_BIN, "postgres"), "-D", data,
                                         "-h", "127.0.0.1", "-p", str(port),
                                         "-k", cluster, "-c", "fsync=off"],
                            stdout=log, stderr=subprocess.STDOUT)
    admin = "postgresql://codensm@127.0.0.1:%d/postgres" % port
    for _ in range(300):
        if subprocess.run(["psql", "-X", "-q", "-d", admin, "-c", "SELECT 1"],
                          capture_output=True).returncode == 0:
            break
        time.sleep(0.1)
    subprocess.run(["psql", "-X", "-q", "-d", admin, "-c", "CREATE DATABASE bench"],
                   capture_output=True)
    return proc, "postgresql://codensm@127.0.0.1:%d/bench" % port


def stop(proc, sig=signal.SIGINT):
    if proc and proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def build_fill(build):
    """Compiles fill_store.c against build's collector library."""
    out = os.path.join(tempfile.mkdtemp(prefix="cnsm-fill-"), "fill_store")
    libs = subprocess.run(["pkg-config", "--libs", "libmicrohttpd", "sqlite3", "libpq",
                           "libcjson", "nettle", "zlib"],
                          check=True, capture_output=True, text=True).stdout.split()
    subprocess.run(["cc", "-O2", "-std=c11", "-D_GNU_SOURCE",
                    "-I" + os.path.join(ROOT, "collector"),
                    "-I" + os.path.join(ROOT, "include"), "-o", out,
                    os.path.join(HERE, "fill_store.c"),
                    os.path.join(build, "collector", "libcnsm_collector_core.a")]
                   + libs + ["-lpthread", "-lm"], check=True)
    return out


def serve(collector, db):
    """Starts serve on db at a free loopback port; returns (process, port)."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([collector, "serve", "--listen", "127.0.0.1:0", "--db", db,
                             "--retain-minutes", "48h"],
                            stdout=subprocess.DEVNULL, stderr=log)
    for _ in range(600):
        log.seek(0)
        m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", log.read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    log.seek(0)
    sys.exit("collector did not start: %s" % log.read().decode(errors="replace"))


def timed(fn):
    t = time.monotonic()
    body = fn()
    return time.monotonic() - t, body


def time_reads(args, db):
    proc, port = serve(args.collector, db)
    times = {name: [] for name, _ in READS}
    bodies = {}
    try:
        for _ in range(args.reps):
            for name, what in READS:
                if isinstance(what, str):
                    url = "http://127.0.0.1:%d%s" % (port, what)
                    fn = lambda: urllib.request.urlopen(url, timeout=600).read()
                else:
                    cmd = [args.collector] + what + ["--db", db]
                    fn = lambda: subprocess.run(cmd, check=True, capture_output=True).stdout
                t, bodies[name] = timed(fn)
                times[name].append(t)
    finally:
        stop(proc, signal.SIGTERM)
    print("%-24s %8s %8s %8s" % ("read", "median", "min", "max"))
    for name, _ in READS:
        v = times[name]
        print("%-24s %8.2f %8.2f %8.2f" % (name, statistics.median(v), min(v), max(v)))
    if args.save:
        os.makedirs(args.save, exist_ok=True)
        for name, body in bodies.items():
            fname = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
            with open(os.path.join(args.save, fname), "wb") as f:
                f.write(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["fill", "time"])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--collector")
    ap.add_argument("--db")
    ap.add_argument("--pg")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--save")
    args, rest = ap.parse_known_args()
    if bool(args.db) == bool(args.pg):
        sys.exit("one of --db FILE or --pg DIR")
    pg = None
    db = args.db
    try:
        if args.pg:
            pg, db = pg_start(os.path.abspath(args.pg))
        if args.what == "fill":
            subprocess.run([build_fill(args.build), db] + rest, check=True)
        else:
            args.collector = args.collector or os.path.join(
                args.build, "collector", "codensm-collector")
            time_reads(args, db)
    finally:
        stop(pg)


if __name__ == "__main__":
    main()
