# SPDX-License-Identifier: Apache-2.0
"""scenarios.py - runs named test scenarios, each in its own temporary
directory, and reports PASS/FAIL per scenario; finds a free loopback port;
lists a spool's files, live files included: what test_faults.py and
test_delivery.py share."""
import hashlib
import os
import shutil
import socket
import tempfile
import time

# Live directories of the spools the scenarios used, removed at the end.
LIVE_DIRS = set()


def live_dir(spool):
    """Where the runtime keeps the live files of spool (runtime/durable.c,
    cnsm_live_dir): /dev/shm/codensm-<uid>-<16 hex digits of SHA-256(spool
    "\n" "live")> on a tmpfs, else the spool itself."""
    real = os.path.realpath(spool) if os.path.exists(spool) else spool
    h = hashlib.sha256((real + "\nlive").encode()).hexdigest()[:16]
    d = "/dev/shm/codensm-%d-%s" % (os.getuid(), h)
    if os.path.isdir(d):
        LIVE_DIRS.add(d)
        return d
    return spool


def spool_files(spool, corrupt=False):
    """The spool's files and its live files (not dot-files, nor the
    *.known memory of what a receiver holds: runtime/known.c), sorted; the
    ones set aside as *.corrupt instead when corrupt."""
    names = []
    for d in {spool, live_dir(spool)}:
        if os.path.isdir(d):
            names += [f for f in os.listdir(d) if not f.startswith(".")
                      and not f.endswith(".known")
                      and f.endswith(".corrupt") == corrupt]
    return sorted(names)


def one_run_left(files):
    """Whether files are what one run's undelivered figures leave: its live
    file (the counts), and at most one deltas file (the histograms, callers
    and causes that waited with them)."""
    live = [f for f in files if f.endswith(".live")]
    deltas = [f for f in files if f.endswith(".json")]
    return len(live) == 1 and len(deltas) <= 1 and len(files) == len(live) + len(deltas)


def free_port():
    """A port on 127.0.0.1 nothing listens on (now)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_scenarios(scenarios, names, prefix):
    """Runs scenarios[name](tmp) for each name (all when names is empty);
    returns the process exit status: 1 when any failed."""
    failed = 0
    for name in names or list(scenarios):
        tmp = tempfile.mkdtemp(prefix=prefix)
        t = time.monotonic()
        try:
            scenarios[name](tmp)
            print("PASS %s (%.1f s)" % (name, time.monotonic() - t))
        except Exception as e:  # noqa: BLE001 - report every scenario
            failed += 1
            print("FAIL %s: %r" % (name, e))
        finally:
            # The live files of the scenario's spools (any directory under
            # tmp may have been one) live outside tmp.
            for root, dirs, _ in os.walk(tmp):
                for d in dirs:
                    live_dir(os.path.join(root, d))
            for d in LIVE_DIRS:
                shutil.rmtree(d, ignore_errors=True)
            LIVE_DIRS.clear()
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0
