# SPDX-License-Identifier: Apache-2.0
"""scenarios.py - runs named test scenarios, each in its own temporary
directory, and reports PASS/FAIL per scenario; and finds a free loopback
port: what test_faults.py and test_delivery.py share."""
import shutil
import socket
import tempfile
import time


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
            shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0
