# SPDX-License-Identifier: Apache-2.0
"""instructions.py - callgrind's instruction counts for bench/real/run
--instructions: the figure a shared machine's load cannot move, beside the
CPU medians.  The workloads are run's; this module only counts:

  whole_process   the instructions of one run of a command
  prefix + counted_between
                  those of a stretch of a long-running process (a Redis
                  server: zeroed before, dumped after)

Every binary is counted from a copy without debug information (stripped):
valgrind 3.19 cannot read clang 14's for Redis ("Possibly corrupted
debuginfo file").  Under callgrind every call takes some 50 times longer,
and the runtime's sampling periods follow durations, so the runtime's
sampled path is overstated here (docs/performance.md, round thirteen); the
code's own counts are exact.
"""
import re
import shutil
import subprocess
import time
from pathlib import Path


def stripped(exe, workdir):
    """A copy of exe without debug information, in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / (Path(exe).name + ".nodebug")
    shutil.copy2(exe, copy)
    subprocess.run(["objcopy", "--strip-debug", str(copy)], check=True)
    return copy


def whole_process(cmd, cwd, env):
    """Instructions of one run of cmd under callgrind."""
    p = subprocess.run(["valgrind", "--tool=callgrind",
                        "--callgrind-out-file=/dev/null"] + [str(c) for c in cmd],
                       cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=3600)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if p.returncode or not m:
        raise RuntimeError("callgrind of %s failed:\n%s" % (cmd[0], p.stderr[-2000:]))
    return int(m.group(1))


def prefix(out):
    """The command prefix that runs a process under callgrind, its dumps
    going to out, out.1, ... (earlier ones removed)."""
    for old in out.parent.glob(out.name + "*"):
        old.unlink()
    return ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s" % out]


def counted_between(pid, out, work):
    """Instructions process pid (started under prefix(out)) runs while
    work() runs: zeroed before, dumped after."""
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    work()
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    dump = out.parent / (out.name + ".1")
    deadline = time.monotonic() + 60
    while True:  # the summary is the dump's last line
        m = dump.exists() and re.search(r"^summary:\s*(\d+)", dump.read_text(), re.M)
        if m:
            return int(m.group(1))
        if time.monotonic() > deadline:
            raise RuntimeError("no summary in %s" % dump)
        time.sleep(0.5)
