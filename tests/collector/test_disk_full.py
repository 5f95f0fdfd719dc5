# SPDX-License-Identifier: Apache-2.0
"""test_disk_full.py - a full disk makes /healthz say so, and the
collector recovers by itself once space is freed.

The database lives on a 4 MiB tmpfs mounted in a mount namespace of this
test's own (unshare(CLONE_NEWNS); as a user other than root, inside a
user namespace too), so the disk really fills (ENOSPC, SQLITE_FULL), no
mount outlives the test and none is seen by the rest of the machine.
Once a file fills the rest of the tmpfs:
- an ingest is answered 503 with an error naming the full disk, and
  nothing of it is stored;
- /healthz answers 503 {"ok": false, "error": "...disk is full..."},
  where it answered 200 before (its check only read the file);
- once the file is deleted, /healthz answers 200 again by itself,
  before any batch comes (its own small write succeeds), and the batch
  refused before, sent again as libcodensm does, is stored once.
Needs root, or unprivileged user namespaces; without them the test
fails (it never skips)."""
import ctypes
import os

import harness
from harness import check

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
SIZE = "4m"
BATCH = {"functions": [{"name": "svc.fn%03d.%s" % (i, "x" * 200), "calls": i + 1}
                       for i in range(300)]}


def private_tmpfs(path):
    """Mounts a tmpfs of SIZE at path, seen by this process and its
    children only."""
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS if uid == 0 else CLONE_NEWNS | CLONE_NEWUSER
    if libc.unshare(flags) != 0:
        harness.fail("unshare: %s (run as root, or allow unprivileged user "
                     "namespaces)" % os.strerror(ctypes.get_errno()))
    if uid != 0:  # be root in the new user namespace, as ourselves outside
        with open("/proc/self/setgroups", "w") as f:
            f.write("deny")
        with open("/proc/self/uid_map", "w") as f:
            f.write("0 %d 1" % uid)
        with open("/proc/self/gid_map", "w") as f:
            f.write("0 %d 1" % gid)
    os.mkdir(path)
    if (libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0 or
            libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0,
                       ("size=" + SIZE).encode()) != 0):
        harness.fail("mount tmpfs: %s" % os.strerror(ctypes.get_errno()))
    return libc


def fill(path):
    """Writes zeros to path until the filesystem is full."""
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            check(e.errno == 28, "filling the disk: %r" % e)


def healthz(srv):
    status, body, _ = srv.request("/healthz")
    return status, body.decode()


def test(tmp):
    small = os.path.join(tmp, "small")
    libc = private_tmpfs(small)
    try:
        db = os.path.join(small, "c.db")
        key = harness.key_create(db, "svc")
        with harness.Collector(db) as srv:
            status, reply = srv.ingest({"functions": [{"name": "svc.first", "calls": 1}]}, key)
            check(status == 200, "ingest with room: %d %r" % (status, reply))
            check(healthz(srv)[0] == 200, "/healthz with room: %r" % (healthz(srv),))
            filler = os.path.join(small, "filler")
            fill(filler)
            status, reply = srv.ingest(BATCH, key)
            check(status == 503 and "disk is full" in reply.get("error", ""),
                  "ingest on a full disk: %d %r" % (status, reply))
            for attempt in range(3):  # its own write fails too: still 503
                status, body = healthz(srv)
                check(status == 503 and '"ok":false' in body and "disk is full" in body,
                      "/healthz on a full disk (%d): %d %s" % (attempt, status, body))
            check("disk is full" in srv.logtext(), "not in the log:\n" + srv.logtext()[-1500:])
            os.remove(filler)
            check(harness.wait_for(lambda: healthz(srv)[0] == 200, 5),
                  "/healthz once space is freed: %r" % (healthz(srv),))
            status, reply = srv.ingest(BATCH, key)
            check(status == 200 and reply.get("accepted") == 300,
                  "the refused batch sent again: %d %r" % (status, reply))
            check(healthz(srv)[0] == 200, "/healthz after a stored batch: %r" % (healthz(srv),))
        totals = harness.totals(db, "svc")
        check(totals["svc.first"][0] == 1 and len(totals) == 301 and
              totals["svc.fn299." + "x" * 200][0] == 300, "stored: %d functions" % len(totals))
    finally:
        libc.umount2(small.encode(), 2)  # MNT_DETACH: the directory can go


if __name__ == "__main__":
    harness.main(test)
